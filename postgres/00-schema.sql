-- The demo schema that the stack loads at first start (and the compose stack mounts).
-- customers and orders are the tutorials' shape; hard_types exercises every conversion in
-- DESIGN.md §4, with a composite primary key.
CREATE SCHEMA IF NOT EXISTS inventory;
SET search_path TO inventory;

CREATE TABLE customers (
  id         serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name  text NOT NULL,
  email      text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id         serial PRIMARY KEY,
  order_date date NOT NULL,
  purchaser  integer NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  quantity   integer NOT NULL,
  product    text NOT NULL,
  amount     numeric(12, 2) NOT NULL
);

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');

CREATE TABLE hard_types (
  tenant_id  integer     NOT NULL,
  item_id    bigint      NOT NULL,
  big        bigint,
  exact      numeric(38, 10),
  loose      numeric,
  price      money,
  real_num   double precision,
  ts_tz      timestamptz,
  ts         timestamp,
  day        date,
  tod        time,
  tod_tz     timetz,
  span       interval,
  uid        uuid,
  doc        jsonb,
  tags       text[],
  blob       bytea,
  feeling    mood,
  flag       boolean DEFAULT true,  -- a real NULL must stay NULL (replace.null.with.default=false)
  big_text   text,
  PRIMARY KEY (tenant_id, item_id)
);
-- Keep big_text out of line so an update that leaves it alone sends Debezium's TOAST placeholder.
ALTER TABLE hard_types ALTER COLUMN big_text SET STORAGE EXTERNAL;
