// The filter bar above the table.
import type { RowFilter } from '../src/shared/results/query';
import { el } from './dom';
import type { VscSelect, VscTextfield } from './elements';

type ListKey = 'models' | 'personas' | 'categories' | 'subcategories';
type EnumKey = 'attack' | 'error' | 'reviewed';

const ENUMS: Record<EnumKey, [string, string][]> = {
  attack: [['any', 'any verdict'], ['true', 'attack succeeded'], ['false', 'attack resisted'], ['null', 'no verdict']],
  error: [['any', 'errors or not'], ['none', 'no error'], ['some', 'any error'], ['gen', 'model error'], ['judge', 'judge error']],
  reviewed: [['any', 'reviewed or not'], ['yes', 'reviewed'], ['no', 'not reviewed']],
};
const LIST_LABEL: Record<ListKey, string> = { models: 'all models', personas: 'all personas', categories: 'all categories', subcategories: 'all subcategories' };
/** A value no real option can have: "no filter". */
const ALL = '__awb_all__';

export class FilterBar {
  readonly root = el('div', { class: 'filters', attrs: { role: 'search' } });
  private readonly lists = new Map<ListKey, { select: VscSelect; values: string }>();
  private readonly enums = new Map<EnumKey, VscSelect>();
  private readonly search: VscTextfield;
  readonly count = el('span', { class: 'count', attrs: { 'aria-live': 'polite' } });
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(private filter: RowFilter, private readonly onChange: (f: RowFilter, source: string) => void) {
    for (const k of Object.keys(LIST_LABEL) as ListKey[]) {
      const select = el('vscode-single-select', { class: `f-${k}`, attrs: { 'aria-label': LIST_LABEL[k], combobox: '' } }) as unknown as VscSelect;
      select.addEventListener('change', () => this.set({ [k]: select.value === ALL || !select.value ? [] : [select.value] }, k));
      this.lists.set(k, { select, values: '' });
      this.root.appendChild(select);
    }
    for (const k of Object.keys(ENUMS) as EnumKey[]) {
      const select = el('vscode-single-select', { class: `f-${k}`, attrs: { 'aria-label': ENUMS[k][0]![1] } }) as unknown as VscSelect;
      for (const [v, label] of ENUMS[k]) select.appendChild(el('vscode-option', { text: label, attrs: { value: v } }));
      select.value = (filter[k] as string | undefined) ?? 'any';
      select.addEventListener('change', () => this.set({ [k]: select.value }, k));
      this.enums.set(k, select);
      this.root.appendChild(select);
    }
    this.search = el('vscode-textfield', { class: 'f-text', attrs: { placeholder: 'Search prompts and answers', 'aria-label': 'Search prompts and answers', type: 'search' } }) as unknown as VscTextfield;
    this.search.value = filter.text ?? '';
    this.search.addEventListener('input', () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.set({ text: this.search.value }, 'text'), 150);
    });
    const clear = el('vscode-button', { text: 'Clear', attrs: { secondary: '', 'aria-label': 'Clear filters' } });
    clear.addEventListener('click', () => this.reset());
    this.root.append(this.search, clear, this.count);
  }

  private set(patch: Partial<RowFilter>, source: string): void {
    this.filter = { ...this.filter, ...patch };
    this.onChange(this.filter, source);
  }

  reset(): void {
    this.filter = {};
    for (const { select } of this.lists.values()) select.value = ALL;
    for (const s of this.enums.values()) s.value = 'any';
    this.search.value = '';
    this.onChange(this.filter, 'clear');
  }

  /** Refreshes the options of the value lists (only when they changed). */
  setValues(k: ListKey, values: string[]): void {
    const entry = this.lists.get(k)!;
    const sig = values.join('\u0000');
    if (sig === entry.values) return;
    entry.values = sig;
    const current = this.filter[k]?.[0];
    entry.select.replaceChildren(el('vscode-option', { text: LIST_LABEL[k], attrs: { value: ALL } }), ...values.map((v) => el('vscode-option', { text: v, attrs: { value: v } })));
    entry.select.value = current !== undefined && values.includes(current) ? current : ALL;
  }

  setCount(shown: number, total: number): void {
    this.count.textContent = shown === total ? `${total} rows` : `${shown} of ${total} rows`;
  }
}
