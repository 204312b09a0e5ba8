// The wallets' helper route (docs/payments.md, "Apple Pay and Google Pay"): web Apple Pay's merchant
// validation, `POST {coreUrl}/apple-pay/sessions` (spec §3.4). Its answer must be a merchant session
// signed by Apple's servers, which a local server cannot make: the SDK gets Primer's envelope saying
// so, a 400, rather than a 404 that would read as a wrong URL. Google Pay and iOS Apple Pay call nothing
// before tokenizing (§3.1, §4.1).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { KassaError } from '../../errors.ts';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import { BODY, SDK_BODY_LIMIT } from '../http.ts';

const ApplePaySessionBody = Type.Object(
  {
    validationUrl: Type.String({ minLength: 1, maxLength: 2048 }),
    paymentMethodConfigId: Type.String({ minLength: 1, maxLength: 255 }),
    merchantDomain: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { title: 'ApplePaySessionRequest' },
);

/** Apple's merchant session, what Primer's route answers; described for the reader, never sent by Kassa. */
const ApplePayMerchantSession = Type.Object(
  {
    epochTimestamp: Type.Integer(),
    expiresAt: Type.Integer(),
    merchantSessionIdentifier: Type.String(),
    nonce: Type.String(),
    merchantIdentifier: Type.String(),
    domainName: Type.String(),
    displayName: Type.String(),
    signature: Type.String(),
  },
  { title: 'ApplePayMerchantSession', description: 'Never sent by Kassa: only Apple can make one' },
);

export function walletRoutes(pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/apple-pay/sessions',
      {
        // The web SDK's coreUrl calls send no API version of their own.
        ...pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT, versioned: false }),
        schema: {
          summary: "Web Apple Pay's merchant validation: needs Apple's servers, always refused with a 400 saying so",
          tags: ['Client SDK'],
          body: ApplePaySessionBody,
          response: {
            // What Primer answers (Apple's merchant session, passed to completeMerchantValidation as is); Kassa never does.
            200: ApplePayMerchantSession,
            ...errorResponses('ApplePayMerchantValidationUnavailable', 'ClientSessionValidationError', 'TooManyRequests', ...BODY),
          },
        },
      },
      async () => {
        throw new KassaError('ApplePayMerchantValidationUnavailable');
      },
    );
  };
}
