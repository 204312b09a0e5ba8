// The seed file's format (docs/sandbox.md, "Seed"), written once: `kassa seed` and KASSA_SEED validate
// with it, and docs/seed.schema.json is generated from it (test/sandbox/seed-schema.test.ts keeps them equal).
import { type Static, Type } from 'typebox';
import { SCOPES } from '../../merchants/merchants.ts';
import { SUPPORTED_API_VERSIONS } from '../../primer/versions.ts';
import { CreateSessionBody } from '../../sessions/schemas.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook.store.ts';

/** The bounds of one file: what a merchant's test suite needs, not a database's worth. */
export const SEED_BOUNDS = { merchants: 100, apiKeys: 20, customers: 100, cards: 10, webhookEndpoints: 20, sessions: 100 } as const;

const Enum = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

const ApiKey = Type.Object(
  {
    secret: Type.String({
      minLength: 20,
      maxLength: 256,
      description: 'The key as clients send it in X-Api-Key (kept only as a hash): at least 20 characters, 10 of them different',
    }),
    scopes: Type.Optional(Type.Array(Enum(SCOPES), { minItems: 1, uniqueItems: true, description: 'Every scope when absent' })),
  },
  { additionalProperties: false },
);

const Card = Type.Object(
  {
    number: Type.String({ pattern: '^[0-9 -]{12,23}$', description: 'A test card number (docs/payments.md, "Test cards"); never stored' }),
    expirationMonth: Type.String({ pattern: '^[0-9]{1,2}$' }),
    expirationYear: Type.String({ pattern: '^[0-9]{2}([0-9]{2})?$' }),
    cardholderName: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

const Customer = Type.Object(
  {
    customerId: Type.String({ minLength: 1, maxLength: 255 }),
    cards: Type.Array(Card, {
      minItems: 1,
      maxItems: SEED_BOUNDS.cards,
      description: 'Saved as the customer’s cards, the first one the default',
    }),
  },
  { additionalProperties: false },
);

const WebhookEndpoint = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      description: 'The natural key: one endpoint per URL',
    }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    events: Type.Optional(Type.Array(Enum(WEBHOOK_EVENT_TYPES), { minItems: 1, uniqueItems: true })),
    version: Type.Optional(Enum(SUPPORTED_API_VERSIONS)),
    secret: Type.Optional(
      Type.String({ minLength: 16, maxLength: 256, description: 'The signing secret; one is made and printed once when absent' }),
    ),
  },
  { additionalProperties: false },
);

const Merchant = Type.Object(
  {
    id: Type.String({ pattern: '^mer_[A-Za-z0-9_-]{1,64}$', description: 'The natural key: an existing merchant is kept as it is' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    apiKeys: Type.Optional(Type.Array(ApiKey, { maxItems: SEED_BOUNDS.apiKeys })),
    customers: Type.Optional(Type.Array(Customer, { maxItems: SEED_BOUNDS.customers })),
    webhookEndpoints: Type.Optional(Type.Array(WebhookEndpoint, { maxItems: SEED_BOUNDS.webhookEndpoints })),
    sessions: Type.Optional(
      Type.Array(CreateSessionBody, {
        maxItems: SEED_BOUNDS.sessions,
        description: 'Client sessions as POST /client-session takes them (API version 2.4), each with an orderId, its natural key',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SeedFile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    merchants: Type.Array(Merchant, { minItems: 1, maxItems: SEED_BOUNDS.merchants }),
  },
  { additionalProperties: false, title: 'KassaSeedFile', description: "Kassa's seed data: `kassa seed FILE` or KASSA_SEED=FILE" },
);

export type SeedFile = Static<typeof SeedFile>;
export type SeedMerchant = SeedFile['merchants'][number];

/** docs/seed.schema.json: the schema as a JSON Schema document, as committed. */
export function seedJsonSchema(): string {
  const document = { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(SeedFile)) };
  return `${JSON.stringify(document, null, 2)}\n`;
}
