-- Functions for the contacts handlers that 0003 could not give them:
--
-- 1. Insert, update and delete that return the whole row in the same
--    statement (RETURNING). The seed's functions return only the id, and the
--    API answers with "the row as created / as updated / as it was"; reading
--    it back with a second query could see another client's change or miss a
--    row deleted in between.
-- 2. Keyset paging on (created_at, id) for the resource API: a page starts
--    strictly after the last row of the previous one, so it is an index range
--    scan whose cost does not depend on how deep the page is (OFFSET reads
--    and discards every row before the page).
--
-- Columns and argument conventions are those of 0003 (the seed's order:
-- id, first_name, last_name, email, created_at, company_id). Errors:
--   23503  unknown company_id (insert/update)
--   23514  a name/email that breaks the table's checks
--   22V01  row_offset below 0
--   22V02  row_limit outside 1..1001 (a page of up to 1000 plus one row to
--          tell whether another page follows)
--   P0002  (no_data_found) contacts of a company that does not exist
-- Update and delete of a missing id return no row.

CREATE FUNCTION contacts_insert_returning(
  company_id_input int, first_name_input varchar, last_name_input varchar, email_input varchar)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql AS $$
  INSERT INTO contacts (company_id, first_name, last_name, email)
  VALUES (company_id_input, first_name_input, last_name_input, email_input)
  RETURNING contacts.id, contacts.first_name, contacts.last_name, contacts.email,
            contacts.created_at, contacts.company_id
$$;

CREATE FUNCTION contacts_update_returning(
  contact_id_input int, company_id_input int, first_name_input varchar,
  last_name_input varchar, email_input varchar)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql AS $$
  UPDATE contacts c
     SET company_id = company_id_input, first_name = first_name_input,
         last_name = last_name_input, email = email_input
   WHERE c.id = contact_id_input
  RETURNING c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id
$$;

-- DELETE ... RETURNING yields the row as it was just before it went.
CREATE FUNCTION contacts_delete_returning(contact_id_input int)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql AS $$
  DELETE FROM contacts c WHERE c.id = contact_id_input
  RETURNING c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id
$$;

-- Keyset paging of one company's contacts needs the company in front of the
-- key; (company_id, id) from 0001 orders by id only.
CREATE INDEX contacts_company_created_at_idx ON contacts (company_id, created_at, id);

-- One page of contacts in (created_at, id) order.
--   company_id_input      NULL = every company
--   search_text_input     NULL or '' = any; as in 0003 (literal, case-insensitive,
--                         names, email or company name)
--   created_after/before  exclusive bounds; NULL or before 0001-01-02 = open
--   after_created_at/id   the key of the last row already seen; NULL = from the start
--   row_offset            rows to skip after the key (page-number paging; costs
--                         what OFFSET costs, so deep pages should use the key)
--   row_limit             1..1001
-- Like cloudlet_contacts_filter, the query is assembled from fixed fragments,
-- every value is bound, and it is planned with the actual values, so the key
-- predicate becomes a range scan of (created_at, id) or
-- (company_id, created_at, id).
CREATE FUNCTION contacts_list_keyset(
  company_id_input int,
  search_text_input varchar,
  created_after timestamptz,
  created_before timestamptz,
  after_created_at timestamptz,
  after_id int,
  row_offset bigint,
  row_limit int)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  pattern     text := NULL;
  company_ids int[] := '{}';
  lower_bound timestamptz := cloudlet_filter_bound(created_after);
  upper_bound timestamptz := cloudlet_filter_bound(created_before);
  query       text := 'SELECT c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id '
                      'FROM contacts c WHERE true';
BEGIN
  IF row_offset IS NULL OR row_offset < 0 THEN
    RAISE EXCEPTION 'row_offset must be 0 or more (got %)', coalesce(row_offset::text, 'null')
      USING ERRCODE = '22V01';
  END IF;
  IF row_limit IS NULL OR row_limit < 1 OR row_limit > 1001 THEN
    RAISE EXCEPTION 'row_limit must be from 1 to 1001 (got %)', coalesce(row_limit::text, 'null')
      USING ERRCODE = '22V02';
  END IF;
  IF company_id_input IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM companies co WHERE co.id = company_id_input) THEN
      RAISE EXCEPTION 'no company with id %', company_id_input USING ERRCODE = 'P0002';
    END IF;
    query := query || ' AND c.company_id = $1';
  END IF;
  IF char_length(coalesce(search_text_input, '')) > 0 THEN
    pattern := cloudlet_contains_pattern(search_text_input);
    SELECT coalesce(array_agg(co.id), '{}') INTO company_ids
      FROM companies co WHERE co.name ILIKE pattern;
    query := query || ' AND (c.first_name ILIKE $2 OR c.last_name ILIKE $2 OR c.email ILIKE $2'
                   || ' OR c.company_id = ANY ($3))';
  END IF;
  IF lower_bound IS NOT NULL THEN
    query := query || ' AND c.created_at > $4';
  END IF;
  IF upper_bound IS NOT NULL THEN
    query := query || ' AND c.created_at < $5';
  END IF;
  IF after_created_at IS NOT NULL AND after_id IS NOT NULL THEN
    -- A row comparison, which a btree on (created_at, id) answers as one range.
    query := query || ' AND (c.created_at, c.id) > ($6, $7)';
  END IF;
  query := query || ' ORDER BY c.created_at, c.id OFFSET $8 ROWS FETCH NEXT $9 ROWS ONLY';
  RETURN QUERY EXECUTE query
    USING company_id_input, pattern, company_ids, lower_bound, upper_bound,
          after_created_at, after_id, row_offset, row_limit;
END
$$;
