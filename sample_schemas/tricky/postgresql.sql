-- Tricky PostgreSQL schema for dbclone's round-trip tests (see README.md).
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
CREATE DOMAIN "Årtal" AS smallint CHECK (VALUE BETWEEN 1900 AND 2100);

CREATE TABLE "Kund Register" (
  "Id" integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "namn" varchar(80) NOT NULL,
  kod char(6) NOT NULL,
  region char(2) NOT NULL,
  nr integer NOT NULL,
  humör mood DEFAULT 'ok',
  antal positive_int,
  "år" "Årtal",
  taggar text[] DEFAULT '{}'::text[],
  matris integer[][],
  data jsonb,
  raw json,
  uid uuid DEFAULT gen_random_uuid(),
  bild bytea,
  saldo numeric(12, 2) NOT NULL DEFAULT 0 CHECK (saldo >= -1000),
  skapad timestamptz NOT NULL DEFAULT now(),
  lokal timestamp(3) without time zone,
  dag date,
  tid time,
  varaktighet interval,
  ip inet,
  nät cidr,
  sök tsvector,
  saldo_ore bigint GENERATED ALWAYS AS ((saldo * 100)::bigint) STORED,
  "weird ""quoted"" name" text COLLATE "C",
  epost citext,
  CONSTRAINT uq_region_nr UNIQUE (region, nr),
  CONSTRAINT uq_kod UNIQUE (kod)
);
COMMENT ON TABLE "Kund Register" IS 'kunder, med ''citat''';
COMMENT ON COLUMN "Kund Register"."namn" IS 'visningsnamn';
CREATE INDEX ix_aktiva ON "Kund Register" (namn) WHERE saldo > 0;
CREATE INDEX ix_lower ON "Kund Register" (lower(namn) text_pattern_ops, kod DESC NULLS LAST);
CREATE UNIQUE INDEX ux_uid ON "Kund Register" (uid) INCLUDE (namn);
CREATE INDEX ix_sok ON "Kund Register" USING gin (sök);

CREATE TABLE "order" (
  id bigserial PRIMARY KEY,
  region char(2) NOT NULL,
  nr integer NOT NULL,
  "select" text,
  parent_id bigint REFERENCES "order" (id) ON DELETE SET NULL,
  CONSTRAINT fk_order_kund FOREIGN KEY (region, nr) REFERENCES "Kund Register" (region, nr)
    ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);

-- A cycle of NOT NULL FKs that can only be loaded because they are DEFERRABLE.
CREATE TABLE hönan (id integer PRIMARY KEY, ägget_id integer NOT NULL);
CREATE TABLE ägget (id integer PRIMARY KEY, hönan_id integer NOT NULL
  REFERENCES hönan (id) DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE hönan ADD CONSTRAINT fk_hona_agg FOREIGN KEY (ägget_id) REFERENCES ägget (id)
  DEFERRABLE INITIALLY DEFERRED;

-- Two tables referencing each other twice; the cycle is broken at a nullable FK.
CREATE TABLE person (id integer PRIMARY KEY, bästa_vän integer, arbetsplats integer);
CREATE TABLE firma (id integer PRIMARY KEY, ägare integer NOT NULL REFERENCES person (id),
  kontakt integer REFERENCES person (id));
ALTER TABLE person ADD FOREIGN KEY (arbetsplats) REFERENCES firma (id);
ALTER TABLE person ADD FOREIGN KEY (bästa_vän) REFERENCES person (id);

CREATE FUNCTION giltig_kod(k text) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS $$ SELECT k ~ '^[0-9]{6}$' $$;
CREATE FUNCTION ny_kod() RETURNS text LANGUAGE sql AS $$ SELECT lpad((random() * 999999)::int::text, 6, '0') $$;
CREATE TABLE kod (k text PRIMARY KEY DEFAULT ny_kod() CHECK (giltig_kod(k)));  -- calls functions
CREATE SEQUENCE fakturanummer AS integer INCREMENT BY 10 START WITH 1000 CACHE 5;  -- used by the app
CREATE TABLE logg (t timestamptz NOT NULL, text text);  -- no primary key
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bokning (
  rum integer NOT NULL,
  tid tsrange NOT NULL,
  plats integer,
  CONSTRAINT ingen_krock EXCLUDE USING gist (rum WITH =, tid WITH &&),
  CONSTRAINT uq_plats UNIQUE NULLS NOT DISTINCT (plats) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE tom (x integer);                            -- stays empty

CREATE TABLE mätning (
  id integer NOT NULL,
  land text NOT NULL,
  värde double precision,
  PRIMARY KEY (id, land)
) PARTITION BY LIST (land);
CREATE TABLE mätning_se PARTITION OF mätning FOR VALUES IN ('SE');
CREATE TABLE mätning_no PARTITION OF mätning FOR VALUES IN ('NO', 'DK')
  PARTITION BY RANGE (id);
CREATE TABLE mätning_no_låg PARTITION OF mätning_no FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE mätning_no_hög PARTITION OF mätning_no FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE mätning_övrigt PARTITION OF mätning DEFAULT;
CREATE INDEX ix_matning_varde ON mätning (värde);

CREATE FUNCTION dubbel(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x * 2 $$;
CREATE VIEW "Stora kunder" AS SELECT "Id", namn, dubbel(nr) AS dubbelnr FROM "Kund Register"
  WHERE saldo > 100;
CREATE MATERIALIZED VIEW region_summa AS
  SELECT region, count(*) AS n FROM "Kund Register" GROUP BY region;
CREATE UNIQUE INDEX ux_region_summa ON region_summa (region);
COMMENT ON VIEW "Stora kunder" IS 'saldo över 100';
