// Checks a whole seed file before anything is written (docs/sandbox.md, "Seed"): its shape, then what
// the shape cannot say (cards, amounts, secrets, destinations, duplicates, what the database already
// holds). Every problem is named at its JSON path, and none carries a submitted value (a card number
// or a secret must never reach a message or a log).
import type { Config } from '../../config.ts';
import type { FieldError } from '../../errors.ts';
import { compile, fieldErrors } from '../../lib/ajv.ts';
import { sha256 } from '../../lib/ids.ts';
import { hashApiKey, knownKeyHash, rememberKeyHash } from '../../merchants/key-hash.ts';
import { readCard, type ReadCard } from '../../payments/card-input.ts';
import { amountErrors } from '../../primer/money.ts';
import type { Stores } from '../../storage/store.ts';
import { Destinations, refusal, type Resolver } from '../../webhooks/destination.ts';
import { SeedFile, type SeedMerchant } from './schema.ts';

/** A seed file that cannot be applied: every problem, each at its JSON path. */
export class SeedError extends Error {
  constructor(readonly problems: readonly FieldError[]) {
    super(`the seed file was refused, nothing was written:\n${problems.map((p) => `  ${p.path}: ${p.description}`).join('\n')}`);
  }
}

/** A card ready to save: what tokenizing keeps, never the number. */
export type PlannedCard = Pick<ReadCard, 'card' | 'scenario'> & { fingerprint: string };

/** What applying the file needs that checking it found out. */
export interface SeedPlan {
  file: SeedFile;
  /** Each merchant's API keys' hashes, in file order. */
  keyHashes: string[][];
  /** Each merchant's customers' cards, in file order. */
  cards: PlannedCard[][][];
}

export interface CheckDeps {
  store: Pick<Stores, 'apiKeys' | 'webhooks'>;
  config: Pick<Config, 'mode' | 'webhookPrivate' | 'webhookEndpointsMax'>;
  /** The card number's keyed fingerprint (tokenize's, so a card seeded and one tokenized are one saved card). */
  fingerprint: (digits: string) => string;
  now: number;
  resolve?: Resolver;
}

const under = (prefix: string, path: string) => prefix + path.slice(1);
const normalUrl = (url: string) => {
  try {
    return new URL(url).toString();
  } catch {
    return undefined;
  }
};

/** The plan for a valid file; throws SeedError with every problem otherwise. */
export async function checkSeed(input: unknown, deps: CheckDeps): Promise<SeedPlan> {
  const validate = compile<SeedFile>(SeedFile);
  if (!validate(input)) throw new SeedError(fieldErrors(validate.errors ?? []));
  const problems: FieldError[] = [];
  const file = input;
  const destinations = new Destinations(deps.config.webhookPrivate, deps.resolve);
  const merchantIds = new Set<string>();
  const secrets = new Map<string, string>();
  const keyHashes: string[][] = [];
  const cards: PlannedCard[][][] = [];

  for (const [i, merchant] of file.merchants.entries()) {
    const at = `$.merchants[${i}]`;
    if (merchantIds.has(merchant.id)) problems.push({ path: `${at}.id`, description: 'Another merchant of this file has this id.' });
    merchantIds.add(merchant.id);
    if (deps.config.mode === 'production') {
      for (const field of ['customers', 'sessions'] as const) {
        if (merchant[field]?.length)
          problems.push({
            path: `${at}.${field}`,
            description:
              'Not seeded with KASSA_MODE=production: saved cards and sessions are sandbox data (merchants, API keys and webhook endpoints are seeded).',
          });
      }
    }
    keyHashes.push(await checkKeys(merchant, at, secrets, deps, problems));
    cards.push(checkCards(merchant, at, deps, problems));
    await checkEndpoints(merchant, at, destinations, deps, problems);
    checkSessions(merchant, at, problems);
  }
  if (problems.length > 0) throw new SeedError(problems);
  return { file, keyHashes, cards };
}

async function checkKeys(merchant: SeedMerchant, at: string, secrets: Map<string, string>, deps: CheckDeps, problems: FieldError[]) {
  const hashes: string[] = [];
  for (const [j, key] of (merchant.apiKeys ?? []).entries()) {
    const path = `${at}.apiKeys[${j}].secret`;
    // As KASSA_API_KEY: a key with few different characters can be guessed from a copy of the database.
    if (/\s/.test(key.secret)) problems.push({ path, description: 'Must not contain spaces.' });
    else if (new Set(key.secret).size < 10)
      problems.push({ path, description: 'Too easy to guess: use at least 10 different characters (e.g. `openssl rand -hex 24`).' });
    const seen = secrets.get(key.secret);
    if (seen) problems.push({ path, description: `The same secret is given at ${seen}.` });
    secrets.set(key.secret, path);
    // The slow hash, as the key will be stored: it is the key's natural key.
    const quick = sha256(key.secret);
    const hash = knownKeyHash(quick) ?? (await hashApiKey(key.secret));
    rememberKeyHash(quick, hash);
    hashes.push(hash);
    const stored = await deps.store.apiKeys.findBySecretHash(hash);
    if (stored && stored.merchantId !== merchant.id)
      problems.push({ path, description: 'This secret is already the key of another merchant.' });
    else if (stored?.revokedAt !== undefined)
      problems.push({ path, description: 'This key was revoked: a seed does not bring a key back.' });
  }
  return hashes;
}

function checkCards(merchant: SeedMerchant, at: string, deps: CheckDeps, problems: FieldError[]): PlannedCard[][] {
  const customerIds = new Set<string>();
  return (merchant.customers ?? []).map((customer, j) => {
    if (customerIds.has(customer.customerId))
      problems.push({ path: `${at}.customers[${j}].customerId`, description: 'Another customer of this merchant has this id.' });
    customerIds.add(customer.customerId);
    return customer.cards.flatMap((card, k) => {
      try {
        const read = readCard(card, {}, deps.now, deps.fingerprint);
        return [{ card: read.card, scenario: read.scenario, fingerprint: read.fingerprint! }];
      } catch (error) {
        const found = (error as { validationErrors?: { errors: FieldError[] }[] }).validationErrors ?? [];
        // readCard names fields under $.paymentInstrument; its descriptions are constants, never the number.
        for (const e of found.flatMap((g) => g.errors))
          problems.push({ path: e.path.replace('$.paymentInstrument', `${at}.customers[${j}].cards[${k}]`), description: e.description });
        return [];
      }
    });
  });
}

async function checkEndpoints(merchant: SeedMerchant, at: string, destinations: Destinations, deps: CheckDeps, problems: FieldError[]) {
  const urls = new Set<string>();
  const live = new Set((await deps.store.webhooks.endpoints(merchant.id)).map((e) => e.url));
  let added = 0;
  for (const [j, endpoint] of (merchant.webhookEndpoints ?? []).entries()) {
    const path = `${at}.webhookEndpoints[${j}].url`;
    const url = normalUrl(endpoint.url);
    if (url === undefined || new URL(url).username || new URL(url).password) {
      problems.push({ path, description: 'Must be an http(s) URL without credentials.' });
      continue;
    }
    if (urls.has(url)) problems.push({ path, description: 'Another endpoint of this merchant has this URL.' });
    urls.add(url);
    if (!live.has(url)) added++;
    const refused = await destinations.check(new URL(url));
    if (refused) problems.push({ path, description: refusal(refused) });
  }
  if (live.size + added > deps.config.webhookEndpointsMax) {
    problems.push({
      path: `${at}.webhookEndpoints`,
      description: `A merchant may have at most ${deps.config.webhookEndpointsMax} webhook endpoints (KASSA_WEBHOOK_ENDPOINTS_MAX); this would make ${live.size + added}.`,
    });
  }
}

function checkSessions(merchant: SeedMerchant, at: string, problems: FieldError[]) {
  const orders = new Set<string>();
  for (const [j, session] of (merchant.sessions ?? []).entries()) {
    const path = `${at}.sessions[${j}]`;
    if (session.orderId === undefined)
      problems.push({ path: `${path}.orderId`, description: 'Field required: it is the seeded session’s natural key.' });
    else if (orders.has(session.orderId))
      problems.push({ path: `${path}.orderId`, description: 'Another session of this merchant has this orderId.' });
    else orders.add(session.orderId);
    for (const e of amountErrors(session)) problems.push({ path: under(path, e.path), description: e.description });
  }
}
