-- Benchmark body for bench/uscc_valid.sh (run with psql -v n=N).
-- Times supervision.uscc_valid (C) against uscc_valid_plpgsql below, the same
-- algorithm in PL/pgSQL, over the same N codes, one process each (no
-- parallel workers), after a scan that only counts rows (the baseline).
\set ON_ERROR_STOP 1

-- The GB 32100 algorithm in PL/pgSQL, written the way one would without C:
-- one pass for the character set, GB 11714 over characters 9-16, then the
-- weighted sum for character 18.
CREATE FUNCTION uscc_valid_plpgsql(s text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    cs     constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    w18    constant int[] := ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    w17    constant int[] := ARRAY[3, 7, 9, 10, 5, 8, 4, 2];
    v      int;
    s17    int := 0;
    s18    int := 0;
    c17    int;
BEGIN
    IF length(s) <> 18 THEN
        RETURN false;
    END IF;
    FOR i IN 1 .. 17 LOOP
        v := strpos(cs, substr(s, i, 1)) - 1;
        IF v < 0 THEN
            RETURN false;
        END IF;
        s18 := s18 + v * w18[i];
        IF i BETWEEN 9 AND 16 THEN
            -- GB 11714 values: digits as they are, letters A = 10 ... Z = 35
            s17 := s17 + (CASE WHEN v < 10 THEN v ELSE ascii(substr(s, i, 1)) - 55 END) * w17[i - 8];
        END IF;
    END LOOP;
    c17 := 11 - s17 % 11;
    IF substr(s, 17, 1) <> (CASE c17 WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c17::text END) THEN
        RETURN false;
    END IF;
    RETURN substr(s, 18, 1) = substr(cs, (31 - s18 % 31) % 31 + 1, 1);
END
$$;

-- GB 11714 check character, only to generate the data.
CREATE FUNCTION org_check(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END
    FROM (SELECT 11 - sum((CASE WHEN substr(body, i, 1) BETWEEN '0' AND '9'
                                THEN ascii(substr(body, i, 1)) - 48
                                ELSE ascii(substr(body, i, 1)) - 55 END)
                          * (ARRAY[3, 7, 9, 10, 5, 8, 4, 2])[i])::int % 11 AS c
          FROM generate_series(1, 8) AS i) AS x
$$;

-- Up to 100 000 distinct codes: half valid, half invalid in the usual ways
-- (wrong check character, lowercase, a letter outside the set, wrong length).
CREATE TABLE bench_base AS
WITH g AS (
    SELECT i, left(translate(encode(decode(md5(i::text), 'hex'), 'base64'),
                             'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
                             '0123456789ABCDEFGHJKLMNPQRTUWXY0123456789ABCDEFGHJKLMNPQRTUWXYXY'), 8) AS body,
           (ARRAY['91320100', '92320500', '93321000', '12320000', '51320200', 'N2320581', 'Y1320100'])[i % 7 + 1] AS head
    FROM generate_series(1, least(:n, 100000)) AS i
), p AS (
    SELECT i, head || body || org_check(body) AS p17 FROM g
), v AS (
    SELECT i, p17 || supervision.uscc_check_char(p17) AS code FROM p
)
SELECT i, CASE WHEN i % 2 = 0 THEN code
               WHEN i % 10 = 1 THEN left(code, 17) || CASE WHEN right(code, 1) = '0' THEN '1' ELSE '0' END
               WHEN i % 10 = 3 THEN lower(code)
               WHEN i % 10 = 5 THEN overlay(code PLACING 'O' FROM 10)
               WHEN i % 10 = 7 THEN left(code, 17)
               ELSE code || '1' END AS c
FROM v;

CREATE TABLE bench_codes AS
SELECT b.c
FROM generate_series(1, ceil(:n / least(:n, 100000)::numeric)::int) AS r, bench_base AS b
LIMIT :n;
VACUUM ANALYZE bench_codes;

SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT count(*) FROM bench_codes \gset warm_
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE c IS NOT NULL) AS base_rows FROM bench_codes \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS base_s \gset
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE supervision.uscc_valid(c)) AS c_valid FROM bench_codes \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS c_s \gset
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE uscc_valid_plpgsql(c)) AS plpgsql_valid FROM bench_codes \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS plpgsql_s \gset

SELECT :base_rows AS rows, :c_valid AS valid_c, :plpgsql_valid AS valid_plpgsql,
       CASE WHEN :c_valid = :plpgsql_valid THEN 'yes' ELSE 'NO' END AS counts_agree,
       round(:base_s::numeric, 3) AS scan_only_s,
       round(:c_s::numeric, 3) AS c_s,
       round(:plpgsql_s::numeric, 3) AS plpgsql_s,
       round(:plpgsql_s::numeric / nullif(:c_s::numeric, 0), 1) AS ratio,
       round((:plpgsql_s::numeric - :base_s) / nullif(:c_s::numeric - :base_s, 0), 1) AS ratio_net_of_scan,
       round(1e9 * (:c_s::numeric - :base_s) / :base_rows) AS c_ns_per_call,
       round(1e9 * (:plpgsql_s::numeric - :base_s) / :base_rows) AS plpgsql_ns_per_call
\gx
