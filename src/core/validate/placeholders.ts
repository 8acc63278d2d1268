/** `{{name}}` placeholders in a template, with their offsets in the template string. */
export interface Placeholder {
  name: string;
  start: number;
  end: number;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function findPlaceholders(template: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    out.push({ name: m[1]!, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Fills `{{name}}` placeholders; unknown ones are left as they are (validation reports them). */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in values ? values[name]! : whole));
}
