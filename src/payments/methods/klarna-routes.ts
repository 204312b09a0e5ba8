// Klarna's helper routes the SDKs call on coreUrl with the session's client token (spec §2.1, §2.5,
// §2.6; docs/payments.md, "Klarna"): payment sessions, finalize, customer tokens. Unversioned (iOS
// sends no X-Api-Version on them), limited and bounded like the SDK's other routes. Bodies are checked
// for shape; the answers come from the client session, so nothing sent here is kept.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import { BODY, SDK_BODY_LIMIT, send } from '../http.ts';
import { KlarnaSessionData } from '../responses.ts';
import type { Klarna } from './klarna.ts';

const Text = (max: number) => Type.String({ maxLength: max });
const Int = Type.Integer({ minimum: -(2 ** 53 - 1), maximum: 2 ** 53 - 1 });
// What each SDK sends (camelCase; web adds taxCode to items): accepted, bounded, and otherwise unused.
const LocaleData = Type.Object(
  {
    countryCode: Type.Optional(Text(8)),
    currencyCode: Type.Optional(Text(8)),
    localeCode: Type.Optional(Text(35)),
    languageCode: Type.Optional(Text(35)),
    regionCode: Type.Optional(Text(8)),
  },
  { title: 'KlarnaLocaleData' },
);
const Address = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Text(512), Type.Null()]), { maxProperties: 20 });
const OrderItem = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Text(512), Int, Type.Null()]), { maxProperties: 20 });
const ConfigId = Type.String({ minLength: 1, maxLength: 255 });
const SessionId = Type.String({ minLength: 1, maxLength: 255 });

const CreateSessionBody = Type.Object(
  {
    paymentMethodConfigId: ConfigId,
    sessionType: Type.Union([Type.Literal('ONE_OFF_PAYMENT'), Type.Literal('RECURRING_PAYMENT')]),
    totalAmount: Type.Optional(Int),
    localeData: Type.Optional(LocaleData),
    orderItems: Type.Optional(Type.Array(OrderItem, { maxItems: 100 })),
    billingAddress: Type.Optional(Address),
    shippingAddress: Type.Optional(Address),
    description: Type.Optional(Text(1024)),
    redirectUrl: Type.Optional(Text(2048)),
  },
  { title: 'KlarnaCreatePaymentSessionRequest' },
);
const FinalizeBody = Type.Object({ paymentMethodConfigId: ConfigId, sessionId: SessionId }, { title: 'KlarnaFinalizeSessionRequest' });
const CustomerTokenBody = Type.Object(
  {
    paymentMethodConfigId: ConfigId,
    sessionId: SessionId,
    authorizationToken: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Text(1024)),
    localeData: Type.Optional(LocaleData),
  },
  { title: 'KlarnaCreateCustomerTokenRequest' },
);

const Category = Type.Object(
  { identifier: Type.String(), name: Type.String(), descriptiveAssetUrl: Type.String(), standardAssetUrl: Type.String() },
  { title: 'KlarnaPaymentCategory' },
);
const SessionResponse = Type.Object(
  {
    clientToken: Type.String({ description: "Not a Klarna token: Klarna's SDK runs only in the SDKs' test mode (clientSession.testId)" }),
    sessionId: Type.String(),
    categories: Type.Array(Category),
  },
  { title: 'KlarnaPaymentSessionResponse' },
);
const FinalizeResponse = Type.Object({ sessionData: KlarnaSessionData }, { title: 'KlarnaFinalizeSessionResponse' });
const CustomerTokenResponse = Type.Object(
  { customerTokenId: Type.String(), sessionData: KlarnaSessionData },
  { title: 'KlarnaCustomerTokenResponse' },
);

export function klarnaRoutes(klarna: Klarna, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['Client SDK'];
    const errors = ['ClientSessionValidationError', 'TooManyRequests', ...BODY, 'PaymentError'] as const;
    const steps = pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT, versioned: false });
    const session = (request: FastifyRequest) => request.clientSession as StoredSession;

    app.post(
      '/klarna/payment-sessions',
      {
        ...steps,
        schema: {
          summary: 'Create a Klarna payment session, checkout or recurring (SDK)',
          tags,
          body: CreateSessionBody,
          response: { 200: SessionResponse, ...errorResponses(...errors) },
        },
      },
      async (request, reply) => send(reply, SessionResponse, klarna.createSession(session(request), request.body)),
    );
    app.post(
      '/klarna/payment-sessions/finalize',
      {
        ...steps,
        schema: {
          summary: "Finalize a Klarna payment session: its sessionData, from the client session's order (SDK)",
          tags,
          body: FinalizeBody,
          response: { 200: FinalizeResponse, ...errorResponses(...errors) },
        },
      },
      async (request, reply) => send(reply, FinalizeResponse, klarna.finalize(session(request), request.body)),
    );
    app.post(
      '/klarna/customer-tokens',
      {
        ...steps,
        schema: {
          summary: 'A Klarna customer token for a recurring session, to vault (SDK)',
          tags,
          body: CustomerTokenBody,
          response: { 200: CustomerTokenResponse, ...errorResponses(...errors) },
        },
      },
      async (request, reply) => send(reply, CustomerTokenResponse, klarna.customerToken(session(request), request.body)),
    );
  };
}
