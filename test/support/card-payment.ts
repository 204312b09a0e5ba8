// A card payment made on a kassa/testing server as a checkout makes one: a session, the SDK's tokenize
// with the client token's access token, then the server's POST /payments with the API key.
import type { Kassa } from 'kassa/testing';

export async function cardPayment(kassa: Kassa): Promise<{ id: string; status: string }> {
  const session = await kassa.createSession();
  const claims = JSON.parse(Buffer.from(session.clientToken.split('.')[1]!, 'base64url').toString('utf8'));
  const tokenized = await fetch(`${kassa.url}/payment-instruments`, {
    method: 'POST',
    headers: { 'primer-client-token': claims.accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' },
    body: JSON.stringify({
      paymentInstrument: {
        number: '4111111111111111',
        cvv: '123',
        expirationMonth: '12',
        expirationYear: String(new Date().getUTCFullYear() + 4),
      },
    }),
  });
  const { token } = (await tokenized.json()) as { token: string };
  return kassa.api('POST', '/payments', { paymentMethodToken: token });
}
