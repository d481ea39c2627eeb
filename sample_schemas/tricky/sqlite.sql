-- Tricky SQLite schema for dbclone's round-trip tests (see README.md).
CREATE TABLE "Kund Register" (
  "Id" INTEGER PRIMARY KEY AUTOINCREMENT,
  namn VARCHAR(80) NOT NULL COLLATE NOCASE,
  kod CHAR(6) NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'ny' CHECK (status IN ('ny', 'aktiv', 'vilande')),
  "poäng" SMALLINT DEFAULT 0,
  saldo NUMERIC(12, 2) NOT NULL DEFAULT 0,
  bild BLOB,
  skapad DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  aktiv BOOLEAN NOT NULL DEFAULT 1,
  data JSON,
  "weird ""quoted"" name" TEXT,
  namn_lang INTEGER GENERATED ALWAYS AS (length(namn)) VIRTUAL,
  saldo_ore INTEGER GENERATED ALWAYS AS (saldo * 100) STORED,
  CONSTRAINT saldo_ok CHECK (saldo >= -1000)
);
CREATE INDEX ix_aktiva ON "Kund Register" (namn) WHERE aktiv = 1;
CREATE UNIQUE INDEX ux_kod_status ON "Kund Register" (kod, status);
CREATE INDEX ix_lower_namn ON "Kund Register" (lower(namn));

CREATE TABLE "order" (
  region CHAR(2) NOT NULL,
  nr INTEGER NOT NULL,
  kund INTEGER NOT NULL REFERENCES "Kund Register" ("Id") ON DELETE CASCADE,
  "select" TEXT,
  PRIMARY KEY (region, nr)
) WITHOUT ROWID;

CREATE TABLE rad (
  region CHAR(2),
  nr INTEGER,
  pos INTEGER NOT NULL,
  antal INTEGER NOT NULL CHECK (antal > 0),
  FOREIGN KEY (region, nr) REFERENCES "order" (region, nr) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE tom (x ANYTHING_GOES, y);
CREATE TABLE strikt (id INTEGER PRIMARY KEY, n INT NOT NULL, t TEXT, a ANY) STRICT, WITHOUT ROWID;

CREATE VIEW "Stora kunder" AS SELECT "Id", namn FROM "Kund Register" WHERE saldo > 100;
CREATE TRIGGER rad_logg AFTER INSERT ON rad BEGIN INSERT INTO tom (x) VALUES (NEW.antal); END;
