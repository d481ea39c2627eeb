-- Rows for sample_schemas/tricky/postgresql.sql, so a full clone exercises the load of
-- domains, arrays, tsvector, inet, generated and identity columns, partitions and cycles.
INSERT INTO "Kund Register" (namn, kod, region, nr, humör, antal, "år", taggar, matris, data, raw, bild, saldo, lokal, dag, tid, varaktighet, ip, nät, sök, "weird ""quoted"" name")
SELECT 'Namn ' || g, lpad(g::text, 6, '0'), (ARRAY['SE','NO','DK'])[1 + g % 3], g, (ARRAY['sad','ok','happy'])[1 + g % 3]::mood, 1 + g % 7, 1950 + g % 70,
  ARRAY['a','b'], ARRAY[[1,2],[3,4]], jsonb_build_object('k', g), '{"x": 1}', '\xdeadbeef', (g % 500) - 100, now(), current_date, '12:00', interval '1 day' * g, '10.0.0.1', '10.0.0.0/8', to_tsvector('hej ' || g), 'w' || g
FROM generate_series(1, 300) g;
INSERT INTO "order" (region, nr, "select", parent_id) SELECT region, nr, 'x', NULL FROM "Kund Register" WHERE nr <= 200;
UPDATE "order" SET parent_id = id - 1 WHERE id > 1 AND id % 4 <> 0;
BEGIN;
INSERT INTO hönan SELECT g, g FROM generate_series(1, 50) g;
INSERT INTO ägget SELECT g, g FROM generate_series(1, 50) g;
COMMIT;
INSERT INTO person (id) SELECT g FROM generate_series(1, 100) g;
INSERT INTO firma SELECT g, g, g + 1 FROM generate_series(1, 40) g;
UPDATE person SET arbetsplats = 1 + id % 40, bästa_vän = 1 + (id * 7) % 100;
INSERT INTO logg SELECT now() - g * interval '1 hour', 'rad ' || g FROM generate_series(1, 100) g;
INSERT INTO mätning SELECT g, (ARRAY['SE','NO','DK','FI'])[1 + g % 4], g * 1.5 FROM generate_series(1, 2000) g;
REFRESH MATERIALIZED VIEW region_summa;
