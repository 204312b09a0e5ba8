/**
 * Milliseconds since the epoch. Injected everywhere time matters, so tests can fix it. Given a
 * merchant, its sandbox time: the system's plus how far that merchant advanced its clock
 * (sandbox/clock/merchant-clocks.ts); a plain clock ignores the argument.
 */
export type Clock = (merchantId?: string) => number;
export const systemClock: Clock = () => Date.now();
