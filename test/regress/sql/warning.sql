-- Early warning, the numbers: EWMA, Poisson tail and spike test against
-- values computed independently, and bad input.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

--
-- The numbers. Reference values: test/reference/warning_poisson.py (Python
-- standard library, decimal arithmetic at 60 digits, summing the Poisson
-- probabilities term by term); C results must agree to 1e-12 relative.
--
SELECT round(s::numeric, 10) AS ewma FROM unnest(supervision.ewma('{2,1,3,0,2}', 0.3)) s;   -- 2, 1.7, 2.09, 1.463, 1.6241
SELECT supervision.ewma('{4,0,7}', 1) AS alpha_1_keeps_the_counts, supervision.ewma('{5}', 0.5) AS one_count;
SELECT k, lambda, to_char(supervision.poisson_tail(k, lambda), '9.999999999EEEE') AS p,
       abs(supervision.poisson_tail(k, lambda) / ref - 1) < 1e-12 AS agrees
  FROM (VALUES (1, 2.5, 9.17915001376101204830e-1),     -- 1 - exp(-2.5)
               (5, 1, 3.65984682734371234546e-3),
               (10, 2, 4.64980750172638082514e-5),
               (20, 3.2, 2.50215894066151254960e-10),
               (7, 7, 5.50288944151301153258e-1),
               (60, 0.5, 6.37458845710689668966e-101),    -- a tail far below 1e-100, no underflow
               (1000000, 1e6, 5.00132980760872591244e-1),   -- lambda = 1e6: no overflow
               (1000100, 1e6, 4.60305138513883601960e-1),
               (1005000, 1e6, 2.93403404803164109883e-7),
               (999000, 1e6, 8.41465751603325036730e-1)) v(k, lambda, ref);
SELECT supervision.poisson_tail(0, 3) AS k_0, supervision.poisson_tail(0, 0) AS k_0_lambda_0,
       supervision.poisson_tail(1, 0) AS lambda_0, supervision.poisson_tail(3, 500) AS almost_sure,
       supervision.poisson_tail(1000, 1) AS below_double_range;   -- 9.15e-2569: 0 in float8
-- the tail never rises with k and never falls with lambda
SELECT bool_and(supervision.poisson_tail(k, 4.5) >= supervision.poisson_tail(k + 1, 4.5)) AS falls_with_k,
       bool_and(supervision.poisson_tail(6, l / 10.0) <= supervision.poisson_tail(6, l / 10.0 + 0.1)) AS rises_with_lambda
  FROM generate_series(0, 40) k, generate_series(0, 200) l;
-- spike: baseline = EWMA(0.3) of {2,1,3,1,2,1} = 1.58387; P(X >= 9 | 1.58387) = 4.20169364490554843668e-5 (reference script)
SELECT observed, baseline, abs(p_value / 4.20169364490554843668e-5 - 1) < 1e-12 AS p_agrees
  FROM supervision.spike('{2,1,3,1,2,1,9}', 0.3);
SELECT observed, baseline, p_value FROM supervision.spike('{0,0,0,4}', 0.5);            -- baseline 0: any event is a spike
SELECT observed, baseline, round(p_value::numeric, 12) AS p FROM supervision.spike('{0,0,0,4}', 0.5, 1);  -- min_baseline 1
-- bad input, one per line
SELECT supervision.ewma('{}', 0.5);
SELECT supervision.ewma('{1,-1}', 0.5);
SELECT supervision.ewma('{1,2.5}', 0.5);
SELECT supervision.ewma('{1,NaN}', 0.5);
SELECT supervision.ewma('{1,Infinity}', 0.5);
SELECT supervision.ewma('{1,NULL}', 0.5);
SELECT supervision.ewma('{{1,2},{3,4}}', 0.5);
SELECT supervision.ewma('{1,2}', 0);
SELECT supervision.ewma('{1,2}', 1.5);
SELECT supervision.ewma('{1,2}', 'NaN');
SELECT supervision.ewma('{1,2}', NULL) IS NULL AS strict;
SELECT supervision.poisson_tail(-1, 1);
SELECT supervision.poisson_tail(1.5, 1);
SELECT supervision.poisson_tail('NaN', 1);
SELECT supervision.poisson_tail('Infinity', 1);
SELECT supervision.poisson_tail(1, -0.5);
SELECT supervision.poisson_tail(1, 'NaN');
SELECT supervision.poisson_tail(1, 'Infinity');
SELECT supervision.spike('{3}', 0.5);
SELECT supervision.spike('{1,2,-3}', 0.5);
SELECT supervision.spike('{1,2,3}', 0);
SELECT supervision.spike('{1,2,3}', 0.5, -1);
SELECT supervision.spike('{1,2,3}', 0.5, 'Infinity');
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
 WHERE pronamespace = 'supervision'::regnamespace AND proname IN ('ewma', 'poisson_tail', 'spike') ORDER BY 1;
