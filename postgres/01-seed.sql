SET search_path TO inventory;

INSERT INTO customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@acme.com'),
  ('George', 'Bailey', 'gbailey@foobar.com'),
  ('Edward', 'Walker', 'ed@walker.com'),
  ('Anne', 'Kretchmar', 'annek@noanswer.org');

INSERT INTO orders (order_date, purchaser, quantity, product, amount) VALUES
  ('2016-01-16', 1, 1, 'car battery', 89.99),
  ('2016-01-17', 2, 2, 'hammer', 15.50),
  ('2016-02-19', 2, 2, 'spare tire', 120.00),
  ('2016-02-21', 3, 1, 'rocks', 0.01);

INSERT INTO hard_types VALUES
  (1, 9007199254740993, 9223372036854775807, 1234567890123456789012345678.0123456789,
   3.141592653589793238462643383279, 12345.67, 0.1,
   '2024-02-29 23:59:59.123456+02', '2024-02-29 23:59:59.123456', '2024-02-29', '13:45:30.5',
   '13:45:30.5+05:30', '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '{"$where": "sleep(1)", "a.b": {"$set": 1}, "n": 1234567890123456789, "list": [1, 2, null]}',
   ARRAY['alpha', 'beta "quoted"', NULL], '\xdeadbeef', 'happy', true, repeat('toast ', 5000)),
  (2, -9007199254740993, -9223372036854775808, -0.0000000001, 0, -1.00, -1.5e300,
   '1970-01-01 00:00:00+00', '1899-12-31 12:00:00', '0001-01-01', '00:00:00', '00:00:00+00',
   '-1 days', '00000000-0000-0000-0000-000000000000', '[]', '{}', '\x', 'sad', false, 'short');
