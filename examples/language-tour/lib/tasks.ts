/** Task classes shared by several projects. */
import { type ShOptions, Task } from '@river/sdk';

/** `make <target> VAR=value…`, with the variables kept in order. */
export class MakeTask extends Task {
  readonly target: string;
  readonly variables: Readonly<Record<string, string>>;

  constructor(
    target: string,
    variables: Record<string, string> = {},
    options: ShOptions = {},
  ) {
    super({ name: `make ${target}`, ...options });
    this.target = target;
    this.variables = variables;
  }

  override command(): string[] {
    const assignments = Object.entries(this.variables).map(
      ([name, value]) => `${name}=${value}`,
    );
    return ['make', this.target, ...assignments];
  }
}
