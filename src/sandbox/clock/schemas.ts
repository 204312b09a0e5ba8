// The sandbox clock's request and answer (docs/sandbox.md, "Clock").
import { Type, type Static } from 'typebox';

export const ClockAdvanceBody = Type.Object(
  {
    // A number here; whole, > 0 and within the bound are the service's 400 InvalidClockAdvance.
    advanceSeconds: Type.Number({ description: 'Seconds to move the merchant clock forward: a whole number > 0.' }),
  },
  { title: 'SandboxClockAdvanceRequest', additionalProperties: false },
);

export const ClockState = Type.Object(
  {
    now: Type.String({ description: "The merchant's time (ISO 8601): the server's clock plus offsetSeconds." }),
    offsetSeconds: Type.Integer({ description: 'How far the merchant advanced its clock in all.' }),
  },
  { title: 'SandboxClock' },
);
export type ClockState = Static<typeof ClockState>;
