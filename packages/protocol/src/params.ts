/**
 * Project parameters: how a project declares them and how given values
 * are checked and converted. Shared by the client, which checks before it
 * submits, and the controller, which checks again.
 */

/** A parameter as a project declares it. */
export interface ParamSpec {
  name: string;
  type: 'string' | 'number' | 'boolean';
  /** Allowed values, for a string parameter. */
  choices?: readonly string[];
  /** Used when the run gives no value; without it the value is required. */
  default?: string | number | boolean;
  description?: string;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A parameter's value. */
export type ParamValue = string | number | boolean;

function convert(spec: ParamSpec, raw: string): ParamValue | string[] {
  switch (spec.type) {
    case 'number':
      // Plain decimals only: Number() would also take '0x2', ' 2 ' and ''.
      return DECIMAL.test(raw)
        ? Number(raw)
        : [`parameter ${spec.name} must be a number, not '${raw}'`];
    case 'boolean':
      if (raw === 'true' || raw === 'false') {
        return raw === 'true';
      }
      return [`parameter ${spec.name} must be true or false, not '${raw}'`];
    default:
      if (spec.choices !== undefined && !spec.choices.includes(raw)) {
        return [
          `parameter ${spec.name} must be one of ` +
            `${spec.choices.join(', ')}, not '${raw}'`,
        ];
      }
      return raw;
  }
}

/**
 * Checks given values (as typed on a command line) against a project's
 * parameters and returns every parameter's value, defaults filled in, or
 * every problem found.
 */
export function resolveParams(
  specs: readonly ParamSpec[],
  given: Readonly<Record<string, string>>,
): { values: Record<string, ParamValue> } | { problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, ParamValue> = {};
  const known = new Set(specs.map((spec) => spec.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      const list = [...known].join(', ') || 'none';
      problems.push(`unknown parameter ${name} (this project has: ${list})`);
    }
  }
  for (const spec of specs) {
    const raw = Object.hasOwn(given, spec.name) ? given[spec.name] : undefined;
    if (raw === undefined) {
      if (spec.default === undefined) {
        problems.push(`parameter ${spec.name} is required`);
      } else {
        values[spec.name] = spec.default;
      }
      continue;
    }
    const converted = convert(spec, raw);
    if (Array.isArray(converted)) {
      problems.push(...converted);
    } else {
      values[spec.name] = converted;
    }
  }
  return problems.length > 0 ? { problems } : { values };
}
