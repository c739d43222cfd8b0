/** What a generated task's templates may name: `{value}`, `{index}`, `{stem}`; `{{` and `}}` are literal braces. */
export type TemplateVars = { value: string; index: string; stem: string };

const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;

/** Fills `{name}` placeholders; an unknown name is returned as the problem instead. */
export function fillTemplate(template: string, vars: TemplateVars): { ok: true; text: string } | { ok: false; unknown: string } {
  let unknown: string | undefined;
  const text = template.replace(PLACEHOLDER, (m, name: string | undefined) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    if (name !== undefined && Object.hasOwn(vars, name)) return vars[name as keyof TemplateVars];
    unknown ??= m;
    return m;
  });
  return unknown === undefined ? { ok: true, text } : { ok: false, unknown };
}
