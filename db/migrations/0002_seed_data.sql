-- The seed lab's test data: three companies and three contacts, with fixed
-- ids and creation times so that its example queries give fixed answers.
INSERT INTO companies (id, name, created_at) VALUES
  (1, 'amazon',    '2022-09-20 08:00:00+00'),
  (2, 'google',    '2022-09-20 08:00:00+00'),
  (3, 'microsoft', '2022-09-20 08:00:00+00');

INSERT INTO contacts (id, company_id, first_name, last_name, email, created_at) VALUES
  (1, 1, 'Adele', 'Thompson', 'adele.thompson@anyemail.com', '2022-09-21 10:00:00+00'),
  (2, 2, 'Blair', 'Rampsey',  'blair.rampsey@anyemail.com',  '2022-09-25 12:00:00+00'),
  (3, 3, 'Pearl', 'Gales',    'pearl.gales@anyemail.com',    '2022-09-27 09:30:00+00');

-- New rows continue after the seed's ids: the first new contact is id 4.
SELECT setval(pg_get_serial_sequence('companies', 'id'), (SELECT max(id) FROM companies));
SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts));
