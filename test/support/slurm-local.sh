#!/bin/sh
# Prepares a single-node Slurm on this machine for the sharding test (Debian/Ubuntu, as root):
# installs slurm-wlm and munge when missing, writes /etc/slurm/slurm.conf when there is none,
# and (unless --no-daemons) starts munged when it is not running. Idempotent. It never starts
# slurmctld/slurmd: the test starts them — and with --no-daemons munged too — in the foreground,
# so it owns their pids and stops them when it is done.
# Exit 0: ready. Exit 3: cannot be prepared here (the reason is printed on the last line).
set -u
skip() { echo "SKIP: $*"; exit 3; }
[ "$(id -u)" = 0 ] || skip "not root: installing Slurm needs root"
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || skip "apt-get is not available to install slurm-wlm"
  apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null || { echo "apt-get install slurm-wlm munge failed" >&2; exit 1; }
fi
[ -f /etc/munge/munge.key ] || { mkdir -p /etc/munge && dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null && chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key; }
mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
# A live munged (not a zombie left by its own daemonizing fork).
munged_pid() { ps -C munged -o pid=,stat= 2>/dev/null | awk '$2 !~ /Z/ {print $1; exit}'; }
if [ "${1:-}" != --no-daemons ] && [ -z "$(munged_pid)" ]; then
  su -s /bin/sh munge -c /usr/sbin/munged || { echo "could not start munged" >&2; exit 1; }
  # munged daemonizes: the pid to stop later is the daemon's, found once it is up.
  i=0; until [ -n "$(munged_pid)" ]; do i=$((i+1)); [ $i -gt 50 ] && { echo "munged did not start" >&2; exit 1; }; sleep 0.1; done
  echo "STARTED munged $(munged_pid)"
fi
[ "${1:-}" = --no-daemons ] || i=0; [ "${1:-}" = --no-daemons ] || until munge -n 2>/dev/null | unmunge >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 50 ] && { echo "munge authentication does not work" >&2; exit 1; }; sleep 0.1; done
H=$(hostname); CPUS=$(nproc); MEM=$(( $(free -m | awk '/Mem:/{print $2}') - 1024 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [ ! -f /etc/slurm/slurm.conf ]; then
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=awb
SlurmctldHost=$H
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
fi
echo READY
