-- The seven contacts functions the handlers call, with the seed's names,
-- argument order and result columns (id, first_name, last_name, email,
-- created_at, company_id).
--
-- Unlike the seed, no caller-supplied text is ever spliced into SQL: the
-- dynamic filter builds its query from fixed fragments and passes every value
-- as a bound parameter (EXECUTE ... USING), and search text is matched
-- literally ('%', '_' and '\' match themselves).
--
-- Errors a caller can branch on:
--   22V01  page_number is NULL or below 1
--   22V02  page_size is NULL or outside 1..1000
--   23503  (foreign_key_violation) unknown company_id on insert/update
--   23514  (check_violation) a name/email that breaks the table's checks
-- Update and delete of a missing id return no row.

-- '%text%' for ILIKE, with the pattern characters of `text` escaped.
CREATE FUNCTION cloudlet_contains_pattern(search text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT '%' || replace(replace(replace(search, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;

-- A date bound of the filter: NULL, or the seed's sentinel 0001-01-01
-- (or anything before 0001-01-02), means "no bound".
CREATE FUNCTION cloudlet_filter_bound(bound timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bound IS NULL OR bound < timestamptz '0001-01-02 00:00:00+00' THEN NULL ELSE bound END
$$;

-- The filter shared by contacts_get_by_dynamic_filter and
-- contacts_get_by_pagination. Only the predicates that apply are included,
-- and the query is planned with the actual values, so a search uses the
-- trigram indexes and a pure date window uses (created_at, id).
CREATE FUNCTION cloudlet_contacts_filter(
  contact_id_input int,
  search_text_input varchar,
  created_at_start timestamptz,
  created_at_finish timestamptz,
  row_limit bigint,
  row_offset bigint)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  pattern     text := NULL;
  company_ids int[] := '{}';
  lower_bound timestamptz := cloudlet_filter_bound(created_at_start);
  upper_bound timestamptz := cloudlet_filter_bound(created_at_finish);
  query       text := 'SELECT c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id '
                      'FROM contacts c WHERE true';
BEGIN
  IF coalesce(contact_id_input, 0) > 0 THEN
    query := query || ' AND c.id = $1';
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
  query := query || ' ORDER BY c.created_at, c.id';
  IF row_limit IS NOT NULL THEN
    query := query || ' OFFSET $7 ROWS FETCH NEXT $6 ROWS ONLY';
  END IF;
  RETURN QUERY EXECUTE query
    USING contact_id_input, pattern, company_ids, lower_bound, upper_bound, row_limit, row_offset;
END
$$;

CREATE FUNCTION contacts_insert(
  company_id_input int, first_name_input varchar, last_name_input varchar, email_input varchar)
RETURNS TABLE (id int)
LANGUAGE sql AS $$
  INSERT INTO contacts (company_id, first_name, last_name, email)
  VALUES (company_id_input, first_name_input, last_name_input, email_input)
  RETURNING contacts.id
$$;

CREATE FUNCTION contacts_get_by_contact_id(contact_id_input int)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql STABLE AS $$
  SELECT c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id
  FROM contacts c WHERE c.id = contact_id_input
$$;

CREATE FUNCTION contacts_get_by_company_id(company_id_input int)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql STABLE AS $$
  SELECT c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id
  FROM contacts c WHERE c.company_id = company_id_input ORDER BY c.id
$$;

CREATE FUNCTION contacts_update_by_contact_id(
  contact_id_input int, company_id_input int, first_name_input varchar,
  last_name_input varchar, email_input varchar)
RETURNS TABLE (id int)
LANGUAGE sql AS $$
  UPDATE contacts c
     SET company_id = company_id_input, first_name = first_name_input,
         last_name = last_name_input, email = email_input
   WHERE c.id = contact_id_input
  RETURNING c.id
$$;

CREATE FUNCTION contacts_delete_by_contact_id(contact_id_input int)
RETURNS TABLE (id int)
LANGUAGE sql AS $$
  DELETE FROM contacts c WHERE c.id = contact_id_input RETURNING c.id
$$;

CREATE FUNCTION contacts_get_by_dynamic_filter(
  contact_id_input int, search_text_input varchar,
  contacts_created_at_start timestamptz, contacts_created_at_finish timestamptz)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE sql STABLE AS $$
  SELECT * FROM cloudlet_contacts_filter(contact_id_input, search_text_input,
    contacts_created_at_start, contacts_created_at_finish, NULL, NULL)
$$;

CREATE FUNCTION contacts_get_by_pagination(
  contact_id_input int, search_text_input varchar,
  contacts_created_at_start timestamptz, contacts_created_at_finish timestamptz,
  page_number int, page_size int)
RETURNS TABLE (id int, first_name varchar, last_name varchar, email varchar,
               created_at timestamptz, company_id int)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF page_number IS NULL OR page_number < 1 THEN
    RAISE EXCEPTION 'page_number must be 1 or more (got %)', coalesce(page_number::text, 'null')
      USING ERRCODE = '22V01';
  END IF;
  IF page_size IS NULL OR page_size < 1 OR page_size > 1000 THEN
    RAISE EXCEPTION 'page_size must be from 1 to 1000 (got %)', coalesce(page_size::text, 'null')
      USING ERRCODE = '22V02';
  END IF;
  RETURN QUERY SELECT * FROM cloudlet_contacts_filter(contact_id_input, search_text_input,
    contacts_created_at_start, contacts_created_at_finish,
    page_size::bigint, (page_number::bigint - 1) * page_size);
END
$$;
