// Holds SQLite's write lock on the given file for the given ms, from a process of its own.
const Database = require(process.argv[4]);
const db = new Database(process.argv[2]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');
setTimeout(() => {
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\n');
}, Number(process.argv[3]));
