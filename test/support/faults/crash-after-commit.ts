// Fault injection for the crash tests, and nothing else: a Kassa process started with this module
// preloaded (NODE_OPTIONS=--import …, see crashAfterCommit below) kills itself with SIGKILL right
// after the change answering the idempotency key KASSA_TEST_CRASH_AFTER_COMMIT is committed, before
// any answer is sent. Kassa's own code never loads it.
import { IdempotencyService } from '../../../src/idempotency/service.ts';
import { sha256 } from '../../../src/lib/ids.ts';

const key = process.env.KASSA_TEST_CRASH_AFTER_COMMIT;
if (key) {
  const target = sha256(key);
  const complete = IdempotencyService.prototype.complete;
  IdempotencyService.prototype.complete = function (this: IdempotencyService, uow, ticket, reply) {
    complete.call(this, uow, ticket, reply);
    if (ticket.keyHash === target) {
      uow.afterCommit(() => {
        process.stdout.write('fault: crashing after commit\n');
        process.kill(process.pid, 'SIGKILL');
      });
    }
  };
}
