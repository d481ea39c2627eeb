-- Tricky MySQL/MariaDB schema for dbclone's round-trip tests (see README.md).
CREATE TABLE `Kund Register` (
  `Id` INT UNSIGNED NOT NULL AUTO_INCREMENT,
  `namn` VARCHAR(80) CHARACTER SET utf8mb4 COLLATE utf8mb4_swedish_ci NOT NULL COMMENT 'visningsnamn',
  `kod` CHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `status` ENUM('ny','aktiv','vilande') NOT NULL DEFAULT 'ny',
  `taggar` SET('a','b','c') DEFAULT NULL,
  `poäng` SMALLINT UNSIGNED DEFAULT 0,
  `saldo` DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  `data` JSON DEFAULT NULL,
  `bild` MEDIUMBLOB,
  `anteckning` LONGTEXT,
  `kort` TINYTEXT,
  `flagga` TINYINT(1) NOT NULL DEFAULT 1,
  `år` YEAR DEFAULT NULL,
  `skapad` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `ändrad` TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  `namn_lang` INT AS (CHAR_LENGTH(`namn`)) VIRTUAL,
  `saldo_ore` BIGINT AS (`saldo` * 100) STORED,
  PRIMARY KEY (`Id`),
  UNIQUE KEY `uq_kod` (`kod`),
  KEY `ix_namn_prefix` (`namn`(10)),
  KEY `ix_status_saldo` (`status`, `saldo` DESC),
  FULLTEXT KEY `ft_anteckning` (`anteckning`),
  CONSTRAINT `saldo_ok` CHECK (`saldo` >= -1000),
  CONSTRAINT `poang_ok` CHECK (`poäng` <= 1000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='kunder, med mellanslag i namnet';

CREATE TABLE `order` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `kund` INT UNSIGNED NOT NULL,
  `select` VARCHAR(20) NOT NULL,
  `region` CHAR(2) NOT NULL,
  `nr` INT NOT NULL,
  UNIQUE KEY `uq_region_nr` (`region`, `nr`),
  CONSTRAINT `fk_order_kund` FOREIGN KEY (`kund`) REFERENCES `Kund Register` (`Id`)
    ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `rad` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `region` CHAR(2) NULL,
  `nr` INT NULL,
  `Antal` INT NOT NULL CHECK (`Antal` > 0),
  CONSTRAINT `fk_rad_order` FOREIGN KEY (`region`, `nr`) REFERENCES `order` (`region`, `nr`)
    ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `logg` (
  `t` DATETIME NOT NULL,
  `text` TEXT
) ENGINE=MyISAM DEFAULT CHARSET=latin1;
