import pg from 'pg';

// COUNT(*) and other int8 values: row counts here stay far below 2^53, and numbers are what the
// API returns. Set once for the process.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
