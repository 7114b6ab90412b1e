// The timeline language of docs/formats/tokenizer.md written as DuckDB SQL: the peer of `bench tokenize`
// (`duckdb-bench.mjs tokenize`). `fit` builds the same vocabulary, deciles and interval estimates as
// TimelineTokenizer.Fit; `encode` maps every event of a MEDS shard to the same token ids, in the same order, as
// TimelineTokenizer.Encode, and writes them as Parquet. It follows the format document, not our C#; the bench compares
// every fitted value and a checksum of every token stream with ours.
//
// The settings come from the bench (TokenizerSettings.Default as JSON): static_fields, intervals [{name, lower_us}],
// hierarchies [{prefix, category_length, separator, split}], quantized_codes, min_count, max_vocabulary_size.

const AGE_FIELD = 'AGE';
const BIN_COUNT = 10;
const DECILES = '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]';
const ALWAYS = '-9223372036854775808';

export function sqlString(text) {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlList(items) {
  return items.length === 0 ? '[]::VARCHAR[]' : `[${items.map(sqlString).join(', ')}]`;
}

/** The SQL pieces that depend only on the settings. */
function language(settings) {
  const fields = settings.static_fields.filter((f) => f !== AGE_FIELD);
  const hasAge = settings.static_fields.includes(AGE_FIELD);
  const intervals = settings.intervals;
  const last = intervals.length - 1;
  const quantileTokens = Array.from({ length: BIN_COUNT }, (_, i) => `Q${i + 1}`);
  const reserved = ['TIMELINE_END', ...intervals.map((i) => i.name), ...quantileTokens, 'UNK', ...(hasAge ? ['AGE//UNKNOWN'] : [])];
  // Names a data code may not take (a decoder reads them otherwise); AGE//UNKNOWN is one even without AGE.
  const forbidden = ['TIMELINE_END', 'UNK', 'AGE//UNKNOWN', ...intervals.map((i) => i.name), ...quantileTokens];
  const vocabularyOf = (token) => `CASE WHEN strpos(${token}, '//') > 0 THEN ${token}[1:strpos(${token}, '//') - 1] ELSE ${token} END`;

  // 0 birth, 1 static field value, 2 other static row (not encoded), 3 timeline event.
  // A static field's codes are those starting with '<FIELD>//' (fields hold no '//').
  const kind = `CASE WHEN code = 'MEDS_BIRTH' THEN 0
      WHEN ${fields.length === 0 ? 'false' : fields.map((f) => `starts_with(code, ${sqlString(`${f}//`)})`).join(' OR ')} THEN 1
      WHEN time IS NULL THEN 2 ELSE 3 END`;

  // A code's family: the longest matching prefix whose codes are at least a category long.
  const families = [...settings.hierarchies].sort((a, b) => b.prefix.length - a.prefix.length);
  const family = `CASE ${families.map((h, i) =>
    `WHEN starts_with(code, ${sqlString(h.prefix)}) AND length(code) >= ${h.prefix.length + h.category_length} THEN ${i}`).join(' ')} END`;
  const familyTable = `(VALUES ${families.map((h, i) =>
    `(${i}, ${sqlString(h.prefix)}, ${h.category_length}, ${sqlString(h.separator)}, ${h.split})`).join(', ')})
    AS f(family, prefix, category_length, separator, split)`;

  // A gap's interval: the largest lower bound <= gap (NULL under the first); the last one repeats round(gap / bound) times.
  const intervalOf = (gap) => `CASE ${intervals.map((_, k) => last - k)
    .map((i) => `WHEN ${gap} >= ${intervals[i].lower_us} THEN ${i}`).join(' ')} END`;
  const repeatsOf = (gap, interval) =>
    `CASE WHEN ${interval} = ${last} THEN CAST(round(${gap} / ${intervals[last].lower_us}::DOUBLE) AS BIGINT) ELSE 1 END`;

  // A code's family parts (tokenizer.md, "split ICD codes"): category, characters 4-6 and 7+, separator removed.
  const codeParts = (codes) => `
    SELECT code, family, prefix, category_length, separator, split,
      body[1:category_length] AS category, rest[1:3] AS remainder, rest[4:] AS suffix
    FROM (
      SELECT *, CASE WHEN separator <> '' AND starts_with(after, separator) THEN after[length(separator) + 1:] ELSE after END AS rest
      FROM (
        SELECT c.code, f.*, c.code[length(f.prefix) + 1:] AS body, c.code[length(f.prefix) + f.category_length + 1:] AS after
        FROM (SELECT code, ${family} AS family FROM ${codes}) c LEFT JOIN ${familyTable} ON c.family = f.family))`;

  return { fields, reserved, forbidden, vocabularyOf, kind, codeParts, intervalOf, repeatsOf, last, quantileTokens };
}

/**
 * Fits on the MEDS shards `files` (the fit splits) and leaves the tables `vocab(id, token, n)`, `deciles(code, n,
 * breaks)`, `bins(code, bin, n, value)` and `intervals(i, n, total, min_us, max_us)` in the connection; writes them to
 * `modelDir` as the fitted artifacts.
 */
export async function fit(connection, settings, files, modelDir) {
  const sql = language(settings);
  const run = (text) => connection.run(text);
  // A view, not a table: DuckDB scans Parquet faster than it copies the code strings into a table, so each step
  // below reads the shards again, and only the columns it needs.
  await run(`CREATE OR REPLACE TEMP VIEW fit_rows AS
    SELECT subject_id, epoch_us(time) AS t, code, numeric_value AS v, ${sql.kind} AS kind FROM read_parquet(${sqlList(files)})`);

  await run(`CREATE OR REPLACE TEMP TABLE fit_subjects AS
    SELECT count(*) AS subjects, sum(n) AS events, count(*) FILTER (WHERE has_birth) AS with_birth, count(*) FILTER (WHERE has_timeline) AS timelines
    FROM (SELECT subject_id, count(*) AS n, bool_or(kind = 0 AND t IS NOT NULL) AS has_birth, bool_or(kind = 3) AS has_timeline
          FROM fit_rows GROUP BY subject_id)`);

  // Static tokens: subjects with each value; <FIELD>//UNKNOWN counts the subjects with no value of the field.
  await run(`CREATE OR REPLACE TEMP TABLE fit_statics AS
    WITH seen AS (SELECT DISTINCT subject_id, code FROM fit_rows WHERE kind = 1)
    SELECT token, sum(n)::BIGINT AS n FROM (
      SELECT code AS token, count(*) AS n FROM seen GROUP BY code
      UNION ALL
      SELECT fl.field || '//UNKNOWN', (SELECT subjects FROM fit_subjects) - count(DISTINCT s.subject_id)
      FROM (SELECT unnest(${sqlList(sql.fields)}) AS field) fl LEFT JOIN seen s ON starts_with(s.code, fl.field || '//')
      GROUP BY fl.field)
    GROUP BY token`);

  // Code tokens: an ICD code of a split family counts as its category, remainder and suffix subtokens.
  await run(`CREATE OR REPLACE TEMP TABLE fit_codes AS
    SELECT code, count(*) AS n, count(*) FILTER (WHERE isfinite(v)) AS numeric FROM fit_rows WHERE kind = 3 GROUP BY code`);
  await run(`CREATE OR REPLACE TEMP TABLE fit_code_tokens AS
    SELECT code, CASE WHEN split THEN list_concat(list_concat([prefix || category],
        CASE WHEN remainder <> '' THEN [prefix || '3-6//' || remainder] ELSE []::VARCHAR[] END),
        CASE WHEN suffix <> '' THEN [prefix || 'SFX//' || suffix] ELSE []::VARCHAR[] END)
      ELSE [code] END AS tokens
    FROM (${sql.codeParts('fit_codes')})`);
  await run(`CREATE OR REPLACE TEMP TABLE fit_tokens AS
    SELECT token, sum(n)::BIGINT AS n FROM (SELECT unnest(t.tokens) AS token, c.n FROM fit_codes c JOIN fit_code_tokens t USING (code))
    GROUP BY token`);

  // Kept code tokens: at least min_count, not reserved, static or UNK-like, the most frequent up to the size limit.
  await run(`CREATE OR REPLACE TEMP TABLE fit_ranked AS
    SELECT token, n, vocab, CASE WHEN eligible THEN row_number() OVER (PARTITION BY eligible ORDER BY n DESC, token) END AS rank
    FROM (SELECT token, n, ${sql.vocabularyOf('token')} AS vocab,
            n >= ${settings.min_count} AND NOT list_contains(${sqlList(sql.reserved)}, token) AND NOT starts_with(token, 'UNK//')
              AND token NOT IN (SELECT token FROM fit_statics) AS eligible
          FROM fit_tokens)`);
  await run(`CREATE OR REPLACE TEMP TABLE fit_kept AS
    SELECT token, n, rank FROM fit_ranked
    WHERE rank <= ${settings.max_vocabulary_size} - ${sql.reserved.length} - (SELECT count(*) FROM fit_statics)
      - (SELECT count(DISTINCT vocab) FROM fit_ranked)`);

  // Deciles of the quantized codes: nearest-rank quantiles, distinct, below the maximum; per bin its count and lower median.
  await run(`CREATE OR REPLACE TEMP TABLE fit_quantized AS
    SELECT c.code FROM fit_codes c JOIN fit_code_tokens t USING (code) JOIN fit_kept k ON k.token = c.code
    WHERE c.numeric > 0 AND t.tokens = [c.code] ORDER BY c.numeric DESC, c.code LIMIT ${settings.quantized_codes}`);
  await run(`CREATE OR REPLACE TEMP TABLE deciles AS
    SELECT code, n, list_sort(list_filter(list_distinct(q), x -> x < mx)) AS breaks
    FROM (SELECT code, count(*) AS n, quantile_disc(v, ${DECILES}) AS q, max(v) AS mx
          FROM fit_rows JOIN fit_quantized USING (code) WHERE kind = 3 AND isfinite(v) GROUP BY code)`);
  await run(`CREATE OR REPLACE TEMP TABLE bins AS
    SELECT code, 1 + len(list_filter(d.breaks, b -> b < r.v)) AS bin, count(*) AS n, quantile_disc(r.v, 0.5) AS value
    FROM fit_rows r JOIN deciles d USING (code) WHERE r.kind = 3 AND isfinite(r.v) GROUP BY code, bin`);

  // Interval estimates over the gaps between a subject's distinct timeline times; a repeated token's gap is shared.
  await run(`CREATE OR REPLACE TEMP TABLE intervals AS
    SELECT i, sum(reps)::BIGINT AS n, sum(gap::HUGEINT) AS total, min(gap // reps) AS min_us, max(gap // reps) AS max_us
    FROM (SELECT i, gap, ${sql.repeatsOf('gap', 'i')} AS reps
          FROM (SELECT gap, ${sql.intervalOf('gap')} AS i
                FROM (SELECT t - lag(t) OVER (PARTITION BY subject_id ORDER BY t) AS gap
                      FROM (SELECT DISTINCT subject_id, t FROM fit_rows WHERE kind = 3)))
          WHERE i IS NOT NULL)
    GROUP BY i`);

  // The vocabulary in id order: reserved, static A-Z, UNK//<vocab> A-Z, kept codes by count.
  const reservedRows = sql.reserved.map((token, position) => `(${position}, ${sqlString(token)})`).join(', ');
  await run(`CREATE OR REPLACE TEMP TABLE vocab AS
    SELECT (row_number() OVER (ORDER BY part, position, token) - 1)::INTEGER AS id, token, n FROM (
      SELECT 0 AS part, r.position, r.token, CASE
          WHEN r.token = 'TIMELINE_END' THEN (SELECT timelines FROM fit_subjects)
          WHEN r.token = 'AGE//UNKNOWN' THEN (SELECT subjects - with_birth FROM fit_subjects)
          WHEN r.position BETWEEN 1 AND ${sql.last + 1} THEN coalesce((SELECT n FROM intervals WHERE i = r.position - 1), 0)
          WHEN r.token IN (${sql.quantileTokens.map(sqlString).join(', ')})
            THEN coalesce((SELECT sum(b.n) FROM bins b JOIN deciles d USING (code)
                           WHERE len(d.breaks) > 0 AND b.bin = r.position - ${sql.last + 1}), 0)
          ELSE 0 END::BIGINT AS n
      FROM (VALUES ${reservedRows}) r(position, token)
      UNION ALL SELECT 1, 0, token, n FROM fit_statics
      UNION ALL SELECT 2, 0, 'UNK//' || vocab, sum(CASE WHEN k.token IS NULL THEN r.n ELSE 0 END)::BIGINT
        FROM fit_ranked r LEFT JOIN fit_kept k USING (token) GROUP BY vocab
      UNION ALL SELECT 3, rank, token, n FROM fit_kept)`);

  await run(`COPY (SELECT id, token, n FROM vocab ORDER BY id) TO ${sqlString(`${modelDir}/vocabulary.tsv`)} (FORMAT csv, DELIMITER '\t', HEADER)`);
  await run(`COPY (SELECT d.code, d.n, d.breaks, list(b.value ORDER BY b.bin) AS bin_values, list(b.n ORDER BY b.bin) AS bin_counts
                   FROM deciles d JOIN bins b USING (code) GROUP BY d.code, d.n, d.breaks ORDER BY d.code)
             TO ${sqlString(`${modelDir}/quantiles.json`)} (FORMAT json)`);
  await run(`COPY intervals TO ${sqlString(`${modelDir}/intervals.json`)} (FORMAT json)`);
}

/** Encodes one MEDS shard with the fitted tables: token stream and static facts, each written as Parquet. */
export async function encode(connection, settings, input, tokensPath, staticsPath) {
  const sql = language(settings);
  const run = (text) => connection.run(text);
  const special = ['UNK', 'Q1', 'TIMELINE_END', settings.intervals[0].name, ...sql.fields.map((f) => `${f}//UNKNOWN`)];
  const ids = new Map((await connection.runAndReadAll(`SELECT token, id FROM vocab WHERE list_contains(${sqlList(special)}, token)`))
    .getRowsJson().map(([token, value]) => [token, value]));
  const id = (token) => String(ids.get(token));
  await run(`CREATE OR REPLACE TEMP VIEW enc AS
    SELECT subject_id, epoch_us(time) AS t, code, numeric_value AS v, file_row_number AS r, ${sql.kind} AS kind
    FROM read_parquet(${sqlString(input)}, file_row_number = true)`);

  // Each distinct timeline code's token ids, with the back-off of tokenizer.md ("Unseen codes"), and its breaks.
  await run(`CREATE OR REPLACE TEMP TABLE plan AS
    WITH p AS (${sql.codeParts('(SELECT DISTINCT code FROM enc WHERE kind = 3)')}),
    ancestors AS (
      SELECT code, arg_max(v.id, x.len) AS id
      FROM (SELECT code, separator, unnest(range(length(prefix) + category_length, length(code))) AS len
            FROM p WHERE family IS NOT NULL AND NOT split) x
      JOIN vocab v ON v.token = x.code[1:x.len]
      WHERE NOT (x.separator <> '' AND ends_with(x.code[1:x.len], x.separator))
      GROUP BY code),
    ids AS (
      SELECT p.*, own.id AS own, ancestors.id AS ancestor, cat.id AS cat, sfx.id AS sfx,
        coalesce(r3.id, r2.id, r1.id) AS rem,
        CASE WHEN r3.id IS NOT NULL THEN 3 WHEN r2.id IS NOT NULL THEN 2 ELSE 1 END AS rem_len,
        coalesce(unk.id, ${id('UNK')}) AS unknown,
        list_contains(${sqlList(sql.forbidden)}, p.code) OR starts_with(p.code, 'UNK//') AS forbidden
      FROM p
      LEFT JOIN vocab own ON own.token = p.code
      LEFT JOIN ancestors USING (code)
      LEFT JOIN vocab unk ON unk.token = 'UNK//' || ${sql.vocabularyOf('p.code')}
      LEFT JOIN vocab cat ON p.split AND cat.token = p.prefix || p.category
      LEFT JOIN vocab r3 ON p.split AND length(p.remainder) >= 3 AND r3.token = p.prefix || '3-6//' || p.remainder[1:3]
      LEFT JOIN vocab r2 ON p.split AND length(p.remainder) >= 2 AND r2.token = p.prefix || '3-6//' || p.remainder[1:2]
      LEFT JOIN vocab r1 ON p.split AND length(p.remainder) >= 1 AND r1.token = p.prefix || '3-6//' || p.remainder[1:1]
      LEFT JOIN vocab sfx ON p.split AND p.suffix <> '' AND sfx.token = p.prefix || 'SFX//' || p.suffix)
    SELECT code,
      CASE WHEN forbidden THEN [unknown]
           WHEN split THEN CASE WHEN cat IS NULL THEN [unknown]
                                WHEN rem IS NULL THEN [cat]
                                WHEN rem_len = length(remainder) AND sfx IS NOT NULL THEN [cat, rem, sfx]
                                ELSE [cat, rem] END
           WHEN own IS NOT NULL THEN [own]
           WHEN ancestor IS NOT NULL THEN [ancestor]
           ELSE [unknown] END AS ids,
      CASE WHEN NOT forbidden AND NOT coalesce(split, false) AND own IS NOT NULL AND len(d.breaks) > 0 THEN d.breaks END AS breaks
    FROM ids LEFT JOIN deciles d USING (code)`);

  // Tokens in timeline order: before the first event of each new time its interval tokens, then each event's code
  // tokens and Q token in row order, and TIMELINE_END after the last event.
  const q1 = id('Q1');
  const firstInterval = id(settings.intervals[0].name);
  await run(`COPY (
    WITH ev AS (
      SELECT e.subject_id, e.t, e.r, CASE WHEN p.breaks IS NOT NULL AND e.v IS NOT NULL AND NOT isnan(e.v)
        THEN list_append(p.ids, ${q1} + len(list_filter(p.breaks, b -> b < e.v))::INTEGER) ELSE p.ids END AS ids
      FROM enc e JOIN plan p USING (code) WHERE e.kind = 3),
    gaps AS (
      SELECT subject_id, t, r, t - lag(t) OVER (PARTITION BY subject_id ORDER BY t) AS gap
      FROM (SELECT subject_id, t, min(r) AS r FROM ev GROUP BY subject_id, t)),
    steps AS (SELECT subject_id, t, r, gap, ${sql.intervalOf('gap')} AS i FROM gaps WHERE gap IS NOT NULL)
    SELECT subject_id, t AS time, token FROM (
      SELECT subject_id, t, r, ${firstInterval} + i AS token, unnest(range(${sql.repeatsOf('gap', 'i')})) - 1000 AS j
        FROM steps WHERE i IS NOT NULL
      UNION ALL SELECT subject_id, t, r, unnest(ids) AS token, unnest(range(len(ids))) AS j FROM ev
      UNION ALL SELECT subject_id, max(t), max(r), ${id('TIMELINE_END')}, 1000 FROM ev GROUP BY subject_id)
    ORDER BY r, j) TO ${sqlString(tokensPath)} (FORMAT parquet, COMPRESSION uncompressed)`);

  // Static facts: each static-field value with the time it became known (or ALWAYS) and its token (or the field's
  // UNKNOWN), and the first timed MEDS_BIRTH (field -1).
  const unknownIds = `[${sql.fields.map((f) => id(`${f}//UNKNOWN`)).join(', ')}]`;
  await run(`COPY (
    SELECT subject_id, field, time, token FROM (
      SELECT e.subject_id, list_position(${sqlList(sql.fields)}, e.code[1:strpos(e.code, '//') - 1]) - 1 AS field,
        coalesce(e.t, ${ALWAYS}) AS time, e.r,
        coalesce(v.id, ${unknownIds}[list_position(${sqlList(sql.fields)}, e.code[1:strpos(e.code, '//') - 1])]) AS token
      FROM enc e LEFT JOIN vocab v ON v.token = e.code WHERE e.kind = 1
      UNION ALL
      SELECT subject_id, -1, arg_min(t, r), min(r), NULL FROM enc WHERE kind = 0 AND t IS NOT NULL GROUP BY subject_id)
    ORDER BY r) TO ${sqlString(staticsPath)} (FORMAT parquet, COMPRESSION uncompressed)`);
}

/** What the fit produced, for the bench to compare with ours (not timed). */
export async function describeFit(connection) {
  const rows = async (text) => (await connection.runAndReadAll(text)).getRowsJson();
  const summary = (await rows('SELECT subjects::VARCHAR, events::VARCHAR FROM fit_subjects'))[0];
  return {
    subjects: summary[0],
    events: summary[1],
    vocabulary: (await rows('SELECT token, n::VARCHAR FROM vocab ORDER BY id')).map(([token, n]) => ({ token, count: n })),
    quantiles: (await rows(`SELECT d.code, d.n::VARCHAR, d.breaks, list(b.value ORDER BY b.bin), list(b.n::VARCHAR ORDER BY b.bin)
                            FROM deciles d JOIN bins b USING (code) GROUP BY d.code, d.n, d.breaks ORDER BY d.code`))
      .map(([code, values, breaks, binValues, binCounts]) => ({ code, values, breaks, bin_values: binValues, bin_counts: binCounts })),
    intervals: (await rows(`SELECT i, n::VARCHAR, (total // n)::VARCHAR, min_us::VARCHAR, max_us::VARCHAR FROM intervals ORDER BY i`))
      .map(([index, count, mean, min, max]) => ({ index, count, mean_us: mean, min_us: min, max_us: max })),
  };
}

/** Order-sensitive checksums of one encoded shard (not timed); the bench computes the same over our token shard. */
export async function describeShard(connection, tokensPath, staticsPath) {
  const row = async (text) => (await connection.runAndReadAll(text)).getRowsJson()[0];
  const [tokens, subjects, tokenSum, timeSum, weightedSum] = await row(`SELECT count(*)::VARCHAR, count(DISTINCT subject_id)::VARCHAR,
      coalesce(sum(token::HUGEINT), 0)::VARCHAR, coalesce(sum(time::HUGEINT), 0)::VARCHAR,
      coalesce(sum(token::HUGEINT * (file_row_number + 1)), 0)::VARCHAR
    FROM read_parquet(${sqlString(tokensPath)}, file_row_number = true)`);
  const [statics, staticTokenSum, births, birthSum] = await row(`SELECT count(*) FILTER (WHERE field >= 0)::VARCHAR,
      coalesce(sum(token::HUGEINT) FILTER (WHERE field >= 0), 0)::VARCHAR,
      count(*) FILTER (WHERE field < 0)::VARCHAR, coalesce(sum(time::HUGEINT) FILTER (WHERE field < 0), 0)::VARCHAR
    FROM read_parquet(${sqlString(staticsPath)})`);
  return {
    tokens, subjects, token_sum: tokenSum, time_sum: timeSum, position_weighted_token_sum: weightedSum,
    static_entries: statics, static_token_sum: staticTokenSum, births, birth_sum: birthSum,
  };
}
