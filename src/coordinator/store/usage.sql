-- kura coordinator store: migration 2, running totals for the policy's rolling 24-hour limits.
--
-- Intake checks every new request against the sum of the requests of the last 24 hours that may
-- still leave (every state but rejected, cancelled and expired). Summing those rows on every
-- submission made intake quadratic over a day: 0.4 ms per request at 3,000 requests in the window,
-- growing with each one. These tables hold the same sums per minute and per hour of created_at,
-- kept by triggers in the transaction of every change, so no code path can forget them. A window
-- is then one partial minute read from `requests` (through requests_by_created_at), at most 59
-- whole minutes and at most 24 whole hours (store/requests.ts, requestUsageSince).
-- Never edited once released, like schema.sql.

CREATE TABLE usage_by_minute (
  minute     INTEGER PRIMARY KEY CHECK (minute >= 0),  -- created_at / 60
  count      INTEGER NOT NULL CHECK (count >= 0),
  amount_sat INTEGER NOT NULL CHECK (amount_sat >= 0)
) STRICT;

CREATE TABLE usage_by_hour (
  hour       INTEGER PRIMARY KEY CHECK (hour >= 0),    -- created_at / 3600
  count      INTEGER NOT NULL CHECK (count >= 0),
  amount_sat INTEGER NOT NULL CHECK (amount_sat >= 0)
) STRICT;

-- The totals assume a request's amount and creation time never change; nothing in kura changes them.
CREATE TRIGGER requests_amount_and_time_fixed BEFORE UPDATE OF amount_sat, created_at ON requests
WHEN NEW.amount_sat IS NOT OLD.amount_sat OR NEW.created_at IS NOT OLD.created_at
BEGIN
  SELECT RAISE(ABORT, 'requests: amount_sat and created_at never change');
END;

-- A request that may leave counts from the moment it is stored.
CREATE TRIGGER requests_usage_on_insert AFTER INSERT ON requests
WHEN NEW.state NOT IN ('rejected', 'cancelled', 'expired')
BEGIN
  INSERT INTO usage_by_minute (minute, count, amount_sat) VALUES (NEW.created_at / 60, 1, NEW.amount_sat)
    ON CONFLICT (minute) DO UPDATE SET count = count + 1, amount_sat = amount_sat + excluded.amount_sat;
  INSERT INTO usage_by_hour (hour, count, amount_sat) VALUES (NEW.created_at / 3600, 1, NEW.amount_sat)
    ON CONFLICT (hour) DO UPDATE SET count = count + 1, amount_sat = amount_sat + excluded.amount_sat;
END;

-- Cancelled or expired: it no longer counts against the limits.
CREATE TRIGGER requests_usage_on_release AFTER UPDATE OF state ON requests
WHEN OLD.state NOT IN ('rejected', 'cancelled', 'expired') AND NEW.state IN ('rejected', 'cancelled', 'expired')
BEGIN
  UPDATE usage_by_minute SET count = count - 1, amount_sat = amount_sat - OLD.amount_sat
    WHERE minute = OLD.created_at / 60;
  UPDATE usage_by_hour SET count = count - 1, amount_sat = amount_sat - OLD.amount_sat
    WHERE hour = OLD.created_at / 3600;
END;

-- No transition leaves a final state today; if one ever does, the totals follow it.
CREATE TRIGGER requests_usage_on_restore AFTER UPDATE OF state ON requests
WHEN OLD.state IN ('rejected', 'cancelled', 'expired') AND NEW.state NOT IN ('rejected', 'cancelled', 'expired')
BEGIN
  INSERT INTO usage_by_minute (minute, count, amount_sat) VALUES (NEW.created_at / 60, 1, NEW.amount_sat)
    ON CONFLICT (minute) DO UPDATE SET count = count + 1, amount_sat = amount_sat + excluded.amount_sat;
  INSERT INTO usage_by_hour (hour, count, amount_sat) VALUES (NEW.created_at / 3600, 1, NEW.amount_sat)
    ON CONFLICT (hour) DO UPDATE SET count = count + 1, amount_sat = amount_sat + excluded.amount_sat;
END;

CREATE TRIGGER requests_usage_on_delete AFTER DELETE ON requests
WHEN OLD.state NOT IN ('rejected', 'cancelled', 'expired')
BEGIN
  UPDATE usage_by_minute SET count = count - 1, amount_sat = amount_sat - OLD.amount_sat
    WHERE minute = OLD.created_at / 60;
  UPDATE usage_by_hour SET count = count - 1, amount_sat = amount_sat - OLD.amount_sat
    WHERE hour = OLD.created_at / 3600;
END;

-- A database of version 1 may already hold requests: start the totals from them.
INSERT INTO usage_by_minute (minute, count, amount_sat)
  SELECT created_at / 60, count(*), sum(amount_sat) FROM requests
  WHERE state NOT IN ('rejected', 'cancelled', 'expired') GROUP BY created_at / 60;
INSERT INTO usage_by_hour (hour, count, amount_sat)
  SELECT created_at / 3600, count(*), sum(amount_sat) FROM requests
  WHERE state NOT IN ('rejected', 'cancelled', 'expired') GROUP BY created_at / 3600;
