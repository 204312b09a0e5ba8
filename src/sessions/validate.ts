// Validation a route's schema cannot do alone: the whole session after a PATCH merge or the SDK's
// actions ("the whole session is validated again", with the schema and Ajv settings of POST).
import type { FieldError } from '../errors.ts';
import { compile, fieldErrors } from '../lib/ajv.ts';
import { amountErrors } from '../primer/money.ts';
import { CreateSessionBody, type SessionData } from './schemas.ts';

/** Every problem of a complete session: schema, then money rules. */
export function sessionErrors(session: SessionData): FieldError[] {
  const validate = compile(CreateSessionBody);
  if (!validate(session)) return fieldErrors(validate.errors ?? []);
  return amountErrors(session);
}
