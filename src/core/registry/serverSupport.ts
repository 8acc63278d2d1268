import { timingSafeEqual, createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyError, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { NotFoundError, RegistryInputError } from './model';
import { isLoopbackHost } from '../providers/endpoints';

/** A FastAPI-style field error, as aumai-alignment's server (FastAPI) returns them in a 422's `detail`. */
export interface FieldError {
  type: string;
  loc: (string | number)[];
  msg: string;
  line?: number;
  column?: number;
}

// JSON Schemas built from zod models carry their model along, so one compiler validates with zod
// (our messages) while the schema itself documents the route in /openapi.json.
const ZOD_OF = new WeakMap<object, z.ZodType>();

/** JSON Schema (draft 7, as Fastify and OpenAPI 3 expect) of a zod model, remembering the model. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  ZOD_OF.set(js, schema);
  return js;
}

const FASTAPI_LOC: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

class ZodValidationError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super('validation failed');
  }
}

/** Fastify validator compiler: the zod model behind a schema, or accept-all for a route that validates itself. */
export function zodValidatorCompiler({ schema }: { schema: unknown }): (data: unknown) => { value?: unknown; error?: Error } {
  const model = ZOD_OF.get(schema as object);
  if (!model) return (data) => ({ value: data });
  return (data) => {
    const r = model.safeParse(data ?? {});
    return r.success ? { value: r.data } : { error: new ZodValidationError(r.error.issues) };
  };
}

export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[], where: string): FieldError[] {
  return issues.map((i) => ({ type: i.code, loc: [where, ...(i.path as (string | number)[])], msg: i.message }));
}

/** Error bodies in aumai-alignment's shape: `{"detail": "..."}`, or a list of field errors for 422. */
export function errorHandler(log: (msg: string) => void) {
  return (err: FastifyError & { validationContext?: string }, _req: FastifyRequest, reply: FastifyReply): void => {
    if (err instanceof ZodValidationError) {
      const where = FASTAPI_LOC[err.validationContext ?? 'body'] ?? 'body';
      void reply.code(422).send({ detail: zodIssuesToFieldErrors(err.issues, where) });
      return;
    }
    if (err instanceof NotFoundError) { void reply.code(404).send({ detail: err.message }); return; }
    if (err instanceof RegistryInputError) {
      void reply.code(422).send({ detail: err.details.length > 0 ? err.details : [{ type: 'value_error', loc: ['body'], msg: err.message }] });
      return;
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        void reply.code(413).send({ detail: 'Request body is too large' });
        return;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        void reply.code(err.statusCode ?? 415).send({ detail: 'Send JSON: Content-Type must be application/json' });
        return;
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        void reply.code(422).send({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] });
        return;
      case 'AWB_JSON_INVALID':
        void reply.code(422).send({ detail: [{ type: 'json_invalid', loc: ['body'], msg: `JSON decode error: ${err.message}` }] });
        return;
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      void reply.code(err.statusCode).send({ detail: err.message });
      return;
    }
    log(`registry server error: ${err.stack ?? err.message}`);
    void reply.code(500).send({ detail: 'Internal Server Error' });
  };
}

/** Constant-time comparison of bearer tokens (hashing first makes lengths equal). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!.trim()).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** This machine (the one loopback test, shared with the key gate: ../providers/endpoints). */
export const isLoopback = isLoopbackHost;

/** The Host header names this machine (guards a loopback server against DNS rebinding). */
export function hostHeaderIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return m ? isLoopback(m[1]!.toLowerCase()) : false;
}

/** Per-route documentation that /openapi.json shows (response schemas are not used to serialize). */
export interface RouteDoc {
  summary: string;
  responses: Record<number, { description: string; schema?: Record<string, unknown> }>;
  body?: Record<string, unknown>;
  write?: boolean;
}

/** An OpenAPI 3.0 document built from the registered routes and their schemas. */
export function openApiDocument(routes: readonly RouteOptions[], opts: { version: string; tokenRequired: boolean }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const doc = (r.config as { doc?: RouteDoc } | undefined)?.doc;
    if (!doc) continue;
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const schema = (r.schema ?? {}) as { querystring?: { properties?: Record<string, unknown>; required?: string[] }; params?: { properties?: Record<string, unknown> } };
    const parameters = [
      ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({ name, in: 'path', required: true, schema: s })),
      ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: schema.querystring?.required?.includes(name) ?? false, schema: s })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [code, resp] of Object.entries(doc.responses)) {
      responses[code] = { description: resp.description, ...(resp.schema ? { content: { 'application/json': { schema: resp.schema } } } : {}) };
    }
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      (paths[path] ??= {})[m.toLowerCase()] = {
        summary: doc.summary,
        ...(parameters.length ? { parameters } : {}),
        ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: doc.body } } } } : {}),
        ...(doc.write && opts.tokenRequired ? { security: [{ bearer: [] }] } : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Alignment Workbench registry', version: opts.version, description: 'Dataset registry API, compatible with aumai-alignment\'s HTTP API.' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
