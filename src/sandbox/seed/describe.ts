// What a seed did, as `kassa seed` prints it and KASSA_SEED writes it to stderr.
import type { SeededMerchant } from './seed.ts';

/** One merchant's seed, in a line, then what is shown only now (a made endpoint secret, a session's client token). */
export function describeSeeded(m: SeededMerchant): string {
  const endpoints = m.webhookEndpoints.filter((e) => e.created).length;
  const sessions = m.sessions.filter((s) => s.created).length;
  const lines = [
    `${m.id} (${m.created ? 'created' : 'existing'}): API keys ${m.apiKeys.created} created, ${m.apiKeys.existing} existing; ` +
      `saved cards ${m.savedCards.created} created, ${m.savedCards.existing} existing; ` +
      `webhook endpoints ${endpoints} created, ${m.webhookEndpoints.length - endpoints} existing; ` +
      `sessions ${sessions} created, ${m.sessions.length - sessions} existing`,
  ];
  for (const e of m.webhookEndpoints) if (e.secret) lines.push(`  endpoint ${e.url}: signing secret ${e.secret} (shown only now)`);
  for (const s of m.sessions) if (s.clientToken) lines.push(`  session ${s.orderId}: clientToken ${s.clientToken}`);
  return `${lines.join('\n')}\n`;
}
