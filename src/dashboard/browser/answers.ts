// What the page reads of the answers it gets: the fields it uses, as the server's schemas declare them
// (sessions/overview.ts, payments/overview.ts, dashboard/history.ts and webhooks.ts, the Client Session
// API's create).

export interface ApiErrorBody {
  error?: {
    errorId: string;
    description: string;
    diagnosticsId: string;
    validationErrors?: { errors: { path: string; description: string }[] }[];
  };
}

export interface Warning {
  type: string;
  code: string;
  message: string;
}

export interface SessionSummary {
  id: string;
  orderId?: string;
  amount?: number;
  currencyCode?: string;
  customerEmail?: string;
  createdAt: string;
  expiresAt: string;
  state: string;
}

export interface SessionDetail {
  id: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  clientTokenExpirationDate: string;
  version: number;
  warnings: Warning[];
  session: { customerId?: string; currencyCode?: string } & Record<string, unknown>;
}

export interface CreatedSession {
  clientToken: string;
  clientTokenExpirationDate: string;
  warnings?: Warning[];
}

export interface Card {
  network: string;
  last4Digits: string;
  expirationMonth: string;
  expirationYear: string;
  cardholderName?: string;
}

export interface StatusReason {
  type: string;
  declineType?: string;
  code?: string;
  message?: string;
}

export interface PaymentSummary {
  id: string;
  createdAt: string;
  orderId: string;
  status: string;
  amount: number;
  currencyCode: string;
  amountCaptured: number;
  amountRefunded: number;
  /** PAYMENT_CARD, or the method paid with; a method's payment has no card. */
  paymentMethodType: string;
  card?: Card;
  customerId?: string;
  sessionId?: string;
}

export interface Transaction {
  type: string;
  status: string;
  amount: number;
  currencyCode: string;
  date: string;
  reason?: string;
  statusReason?: StatusReason;
  events: { type: string; amount?: number; final?: boolean }[];
}

export interface PaymentDetail extends PaymentSummary {
  updatedAt: string;
  isVaulted: boolean;
  threeDS: string;
  requiredAction?: string;
  statusReason?: StatusReason;
  transactions: Transaction[];
}

export interface VaultedCard extends Card {
  id: string;
  default: boolean;
  createdAt: string;
}

export interface Page {
  nextBefore?: string;
}

export interface Delivery {
  id: string;
  endpointId: string;
  endpointUrl?: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  /** When it is sent next (PENDING only). */
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
}

/** One attempt of a delivery (dashboard/webhooks.ts): what was sent and what came back. */
export interface Attempt {
  attempt: number;
  date: string;
  durationMs: number;
  request?: { headers: Record<string, string>; body: string };
  response?: { statusCode: number; headers: Record<string, string>; body: string };
  outcome: string;
}

export interface DeliveryDetail extends Delivery {
  attemptLog: Attempt[];
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  status: 'ENABLED' | 'DISABLED';
  failingSince?: string;
  failures?: number;
  disabledAt?: string;
  disabledReason?: string;
}

export interface WebhookEndpoints {
  endpoints: WebhookEndpoint[];
}

export interface TimelineEvent {
  id: string;
  date: string;
  type: string;
  requestId?: string;
  idempotencyKey?: string;
  /** Sessions: each field {from, to} (the creation's values as they are). Payments: see PaymentChanges. */
  changes: Record<string, unknown>;
  deliveries: Delivery[];
  /** Payments only: the status after the event. */
  status?: string;
  /** Sent by POST /kassa/sandbox/events: the object did not change. */
  triggered?: boolean;
}

export interface Timeline {
  events: TimelineEvent[];
}

/** GET/POST /kassa/sandbox/clock (docs/sandbox.md, "Clock"). */
export interface SandboxClock {
  now: string;
  offsetSeconds: number;
}

/** One fault of GET /kassa/sandbox/faults (docs/sandbox.md, "Faults"). */
export interface SandboxFault {
  id: string;
  operation: string;
  status: number | 'timeout';
  times: number;
  timesLeft: number;
  phase: 'before' | 'after';
  delayMs?: number;
}
