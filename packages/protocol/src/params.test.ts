import { describe, expect, it } from 'vitest';
import { type ParamSpec, resolveParams } from './params.js';

const specs: ParamSpec[] = [
  { name: 'target', type: 'string', choices: ['debug', 'release'] },
  { name: 'jobs', type: 'number', default: 2 },
  { name: 'verbose', type: 'boolean', default: false },
];

describe('parameter resolution', () => {
  it('converts given values and fills in defaults', () => {
    expect(resolveParams(specs, { target: 'debug', verbose: 'true' })).toEqual({
      values: { target: 'debug', jobs: 2, verbose: true },
    });
  });

  it('reports every problem at once', () => {
    const result = resolveParams(specs, { jobs: 'many', colour: 'red' });

    expect(result).toEqual({
      problems: [
        'unknown parameter colour (this project has: target, jobs, verbose)',
        'parameter target is required',
        "parameter jobs must be a number, not 'many'",
      ],
    });
  });

  it('refuses a value outside the choices', () => {
    expect(resolveParams(specs, { target: 'fast' })).toEqual({
      problems: ["parameter target must be one of debug, release, not 'fast'"],
    });
  });
});

describe('parameter names that Object.prototype also has', () => {
  it('take their defaults instead of the prototype’s members', () => {
    const odd: ParamSpec[] = [
      { name: 'toString', type: 'number', default: 1 },
      { name: 'constructor', type: 'string' },
    ];

    expect(resolveParams(odd, {})).toEqual({
      problems: ['parameter constructor is required'],
    });
    expect(resolveParams(odd, { constructor: 'x' })).toEqual({
      values: { toString: 1, constructor: 'x' },
    });
  });
});

describe('number parameters', () => {
  it('take plain decimals only', () => {
    const spec: ParamSpec[] = [{ name: 'n', type: 'number' }];

    expect(resolveParams(spec, { n: '-2.5' })).toEqual({ values: { n: -2.5 } });
    for (const raw of ['0x2', ' 2 ', '1e3', '', 'Infinity']) {
      expect(resolveParams(spec, { n: raw })).toEqual({
        problems: [`parameter n must be a number, not '${raw}'`],
      });
    }
  });
});
