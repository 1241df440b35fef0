// Fake rows for the demo schema, all drawn from one (optionally seeded) Faker so a run can be
// repeated. customers and orders look like a shop; hard_types rows carry edge values: int64 near
// ±2^63, numeric(38,10) extremes, times before 1970, hostile JSON keys, TOASTed text.
//
// JSON documents keep what Elasticsearch can map: integers within int64, arrays of one kind, and
// one type per path (the same key always holds a string, an integer, a float or an object), from a
// fixed set of keys so an index never grows past its field limit.
import { base, en, Faker } from '@faker-js/faker';
import { stringify } from 'lossless-json';

/** Generated customers are recognised by their address at a reserved (RFC 2606) .example domain. */
export const EMAIL_DOMAINS = ['mail.example', 'inbox.example', 'post.example', 'shop.example'] as const;
export const GENERATED_EMAIL_LIKE = '%@%.example';
/** Generated hard_types rows belong to tenants TENANT_MIN .. TENANT_MIN + TENANT_COUNT - 1. */
export const TENANT_MIN = 1_000_000_000;
export const TENANT_COUNT = 1000;
/** big_text longer than this is stored out of line (the column's storage is EXTERNAL). */
export const TOAST_THRESHOLD = 2000;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const MONEY_MAX = '92233720368547758.07';
const MONEY_MIN = '-92233720368547758.08';

export interface CustomerValues {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

export interface OrderValues {
  readonly orderDate: string;
  readonly quantity: number;
  readonly product: string;
  readonly amount: string;
}

export interface HardTypesKey {
  readonly tenantId: number;
  readonly itemId: bigint;
}

/** The 18 non-key columns of hard_types in table order, as parameters pg sends as text. */
export interface HardTypesValues {
  readonly big: string | null;
  readonly exact: string | null;
  readonly loose: string | null;
  readonly price: string | null;
  readonly realNum: string | null;
  readonly tsTz: string | null;
  readonly ts: string | null;
  readonly day: string | null;
  readonly tod: string | null;
  readonly todTz: string | null;
  readonly span: string | null;
  readonly uid: string | null;
  readonly doc: string | null;
  readonly tags: ReadonlyArray<string | null> | null;
  readonly blob: Buffer | null;
  readonly feeling: 'sad' | 'ok' | 'happy' | null;
  readonly flag: boolean | null;
  readonly bigText: string | null;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
/** A float that always has a fraction, so its JSON path is mapped as a float whichever document comes first. */
const withFraction = (value: number) => (Number.isInteger(value) ? value + (value > 0 ? -0.5 : 0.5) : value);

export class FakeData {
  readonly faker: Faker;

  constructor(seed?: number) {
    this.faker = new Faker({ locale: [en, base] });
    if (seed !== undefined) this.faker.seed(seed);
  }

  /** True with the given probability. */
  chance(probability: number): boolean {
    return this.faker.datatype.boolean({ probability });
  }

  /** An integer in [0, n). */
  index(n: number): number {
    return this.faker.number.int({ min: 0, max: n - 1 });
  }

  pick<T>(values: readonly T[]): T {
    return this.faker.helpers.arrayElement(values);
  }

  // --- customers and orders -------------------------------------------------------------------

  customer(): CustomerValues {
    const firstName = this.faker.person.firstName();
    const lastName = this.faker.person.lastName();
    return { firstName, lastName, email: this.email(firstName, lastName) };
  }

  email(firstName: string, lastName: string): string {
    return this.faker.internet
      .email({ firstName, lastName, provider: this.pick(EMAIL_DOMAINS) })
      .toLowerCase();
  }

  order(): OrderValues {
    return {
      orderDate: this.faker.date
        .between({ from: '2015-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z' })
        .toISOString()
        .slice(0, 10),
      quantity: this.chance(0.02) ? 2_147_483_647 : this.faker.number.int({ min: 1, max: 20 }),
      product: this.faker.commerce.productName(),
      amount: this.chance(0.02)
        ? this.pick(['0.00', '0.01', '9999999999.99', '-9999999999.99'])
        : this.faker.commerce.price({ min: 0.5, max: 2500 }),
    };
  }

  // --- hard_types -----------------------------------------------------------------------------

  hardTypesKey(): HardTypesKey {
    return { tenantId: TENANT_MIN + this.index(TENANT_COUNT), itemId: this.int64() };
  }

  /** An int64 that is often near a boundary: ±2^63, ±2^53 (where doubles lose integers), zero. */
  int64(): bigint {
    const near = (at: bigint, spread: number) =>
      at + BigInt(this.faker.number.int({ min: -spread, max: spread }));
    switch (this.index(6)) {
      case 0:
        return INT64_MAX - BigInt(this.faker.number.int({ min: 0, max: 1_000_000 }));
      case 1:
        return INT64_MIN + BigInt(this.faker.number.int({ min: 0, max: 1_000_000 }));
      case 2:
        return near(this.chance(0.5) ? 2n ** 53n : -(2n ** 53n), 1000);
      case 3:
        return BigInt(this.faker.number.int({ min: -1_000_000, max: 1_000_000 }));
      default:
        return this.faker.number.bigInt({ min: INT64_MIN, max: INT64_MAX });
    }
  }

  /** numeric(38, 10): up to 28 integer and 10 fraction digits, often at the extremes. */
  exact(): string {
    const edges = [
      '9999999999999999999999999999.9999999999',
      '-9999999999999999999999999999.9999999999',
      '0.0000000001',
      '-0.0000000001',
      '0',
    ];
    if (this.chance(0.3)) return this.pick(edges);
    const integer = this.digits(this.faker.number.int({ min: 1, max: 28 }));
    const fraction = this.digits(this.faker.number.int({ min: 0, max: 10 }));
    return `${this.chance(0.3) ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`;
  }

  /**
   * Unconstrained numeric: any scale, sometimes long. The last digit is never 0: Debezium sends such
   * a value without its trailing zeros (scale lost), which verify would report as a difference.
   */
  loose(): string {
    if (this.chance(0.2))
      return this.pick(['3.141592653589793238462643383279', '0.000000000000000000001', '0']);
    const integer = this.digits(this.faker.number.int({ min: 1, max: 40 }));
    const fraction = this.digits(this.faker.number.int({ min: 0, max: 30 }));
    const text = `${integer}${fraction ? `.${fraction}` : ''}`;
    const last = String(this.faker.number.int({ min: 1, max: 9 }));
    return `${this.chance(0.3) ? '-' : ''}${text.slice(0, -1)}${last}`;
  }

  /** `count` digits, the first not 0. */
  private digits(count: number): string {
    if (count === 0) return '';
    return String(this.faker.number.int({ min: 1, max: 9 })) + this.faker.string.numeric(count - 1);
  }

  money(): string {
    if (this.chance(0.1)) return this.pick([MONEY_MAX, MONEY_MIN, '0.00', '-1.00']);
    return this.faker.commerce.price({ min: -1000, max: 1_000_000 });
  }

  double(): string {
    if (this.chance(0.3)) {
      return this.pick([
        '1.7976931348623157e308',
        '-1.7976931348623157e308',
        '5e-324',
        '2.2250738585072014e-308',
        '1e-300',
        '-1.5e300',
        '0.1',
        '9007199254740993',
      ]);
    }
    return String(this.faker.number.float({ min: -1e9, max: 1e9, fractionDigits: 6 }));
  }

  /** An instant, often before 1970, with microseconds. */
  instant(): { iso: string; date: Date; micros: string } {
    const edges = [
      '0001-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00Z',
      '1900-01-01T00:00:00Z',
    ];
    const date = this.chance(0.1)
      ? new Date(this.pick(edges))
      : this.faker.date.between({ from: '1850-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' });
    const micros = pad(this.faker.number.int({ min: 0, max: 999 }), 3);
    return { iso: date.toISOString(), date, micros };
  }

  timestampTz(): string {
    if (this.chance(0.05))
      return this.pick(['2262-04-11 23:47:16.854775+00', '9999-12-31 23:59:59.999999+00']);
    const { iso, micros } = this.instant();
    // 0001-01-01 stays in UTC: a positive offset would make it a date BC, which Debezium writes as
    // year 0000 and Postgres as 0001 BC.
    const offset = iso.startsWith('0001-')
      ? '+00:00'
      : this.pick(['+00:00', '+05:30', '-08:00', '+14:00', '-12:00', '+09:45']);
    return `${iso.slice(0, 23)}${micros}${offset}`;
  }

  timestamp(): string {
    if (this.chance(0.05)) return this.pick(['0001-01-01 00:00:00.000001', '1899-12-31 12:00:00']);
    const { iso, micros } = this.instant();
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros}`;
  }

  day(): string {
    if (this.chance(0.05)) return this.pick(['0001-01-01', '1969-12-31', '1970-01-01', '9999-12-31']);
    return this.instant().iso.slice(0, 10);
  }

  timeOfDay(): string {
    if (this.chance(0.1)) return this.pick(['00:00:00', '23:59:59.999999', '12:00:00']);
    const f = this.faker.number;
    return `${pad(f.int({ min: 0, max: 23 }))}:${pad(f.int({ min: 0, max: 59 }))}:${pad(f.int({ min: 0, max: 59 }))}.${pad(f.int({ min: 0, max: 999_999 }), 6)}`;
  }

  timeOfDayTz(): string {
    return `${this.timeOfDay()}${this.pick(['+00', '+05:30', '-12:00', '+14:00', '-03:30'])}`;
  }

  /**
   * An interval with mixed signs and large parts, in whole seconds: Debezium computes the seconds of
   * an interval as a double, so a fraction such as 21.965973 would arrive as 21.965972999.
   */
  interval(): string {
    if (this.chance(0.1))
      return this.pick([
        '-178000000 years',
        '178000000 years',
        '0',
        '-1 days',
        '1 mon -1 days',
        '00:00:00.5',
      ]);
    const f = this.faker.number;
    const sign = () => (this.chance(0.2) ? '-' : '');
    return `${sign()}${f.int({ min: 0, max: 200 })} years ${sign()}${f.int({ min: 0, max: 11 })} mons ${sign()}${f.int({ min: 0, max: 400 })} days ${sign()}${pad(f.int({ min: 0, max: 99 }))}:${pad(f.int({ min: 0, max: 59 }))}:${pad(f.int({ min: 0, max: 59 }))}`;
  }

  uuid(): string {
    if (this.chance(0.05))
      return this.pick(['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']);
    return this.faker.string.uuid();
  }

  tags(): Array<string | null> {
    const hostile = ['', 'with "quotes"', 'comma, inside', 'back\\slash', '{braces}', 'ünïcödé', 'NULL', ' '];
    return this.faker.helpers.multiple(
      () => (this.chance(0.05) ? null : this.chance(0.15) ? this.pick(hostile) : this.faker.lorem.word()),
      { count: { min: 0, max: 6 } },
    );
  }

  bytes(): Buffer {
    const length = this.chance(0.1) ? 0 : this.faker.number.int({ min: 1, max: 64 });
    return Buffer.from(
      this.faker.string.hexadecimal({ length: length * 2, prefix: '', casing: 'lower' }),
      'hex',
    );
  }

  /**
   * Text: short, or (when `large`) 4 to 40 kB, which Postgres keeps out of line (TOAST) beyond
   * TOAST_THRESHOLD; an update that leaves it alone then reaches Debezium without it. Kept modest:
   * every change event of the row carries it, and Kafka keeps them all.
   */
  text(large: boolean): string {
    if (!large) return this.faker.lorem.sentence();
    const size = this.faker.number.int({ min: 4_000, max: 40_000 });
    const chunk = `${this.faker.lorem.paragraphs(3)}\n`;
    return chunk.repeat(Math.ceil(size / chunk.length)).slice(0, size);
  }

  /**
   * A jsonb document: hostile keys ("$where", "a.b", "$ref", "x.y.z", "constructor"), nesting, int64
   * values near 2^63, arrays of one kind. Each key always has the same type.
   */
  document(): string {
    const f = this.faker;
    const firstName = f.person.firstName();
    const lastName = f.person.lastName();
    const doc: Record<string, unknown> = {
      $where: this.pick(['sleep(1)', 'this.a == this.b', 'function () { return true; }', '1 == 1']),
      'a.b': { $set: f.number.int({ min: -1000, max: 1000 }) },
      n: this.chance(0.5) ? INT64_MAX - BigInt(f.number.int({ min: 0, max: 1000 })) : this.int64(),
      list: f.helpers.multiple(() => (this.chance(0.1) ? null : f.number.int({ min: -1e6, max: 1e6 })), {
        count: { min: 0, max: 5 },
      }),
      big: this.int64(),
      deep: { er: [{ $gt: this.chance(0.3) ? '' : f.lorem.word() }, { x: f.number.int({ max: 100 }) }] },
      when: this.instant().date.toISOString(),
      customer: {
        name: `${firstName} ${lastName}`,
        email: f.internet.email({ firstName, lastName }).toLowerCase(),
        ...(this.chance(0.7)
          ? {
              address: {
                street: f.location.streetAddress(),
                city: f.location.city(),
                country: f.location.countryCode(),
                geo: { lat: withFraction(f.location.latitude()), lng: withFraction(f.location.longitude()) },
              },
            }
          : {}),
      },
      score: withFraction(f.number.float({ min: 0, max: 100, fractionDigits: 3 })),
      'with space': this.chance(0.5),
      'ünïcødé ключ': f.lorem.word(),
      constructor: f.lorem.word(),
      $ref: f.helpers.slugify(f.lorem.words(2)),
      nothing: null,
    };
    if (this.chance(0.5))
      doc['labels'] = f.helpers.multiple(() => f.lorem.word(), { count: { min: 0, max: 4 } });
    if (this.chance(0.5)) doc['x.y.z'] = f.lorem.word();
    if (this.chance(0.2)) doc['empty'] = {};
    return stringify(doc) ?? '{}';
  }

  hardTypes(largeText: boolean): HardTypesValues {
    const maybe = <T>(make: () => T): T | null => (this.chance(0.05) ? null : make());
    return {
      big: maybe(() => this.int64().toString()),
      exact: maybe(() => this.exact()),
      loose: maybe(() => this.loose()),
      price: maybe(() => this.money()),
      realNum: maybe(() => this.double()),
      tsTz: maybe(() => this.timestampTz()),
      ts: maybe(() => this.timestamp()),
      day: maybe(() => this.day()),
      tod: maybe(() => this.timeOfDay()),
      todTz: maybe(() => this.timeOfDayTz()),
      span: maybe(() => this.interval()),
      uid: maybe(() => this.uuid()),
      doc: maybe(() => this.document()),
      tags: maybe(() => this.tags()),
      blob: maybe(() => this.bytes()),
      feeling: maybe(() => this.pick(['sad', 'ok', 'happy'] as const)),
      flag: maybe(() => this.chance(0.5)),
      bigText: largeText ? this.text(true) : maybe(() => this.text(false)),
    };
  }
}
