-- Deep pages and common searches at index speed (measured at 1,000,000
-- contacts with `bench/contacts_sql`; EXPLAIN (ANALYZE, BUFFERS) figures in
-- src/db/README.md).
--
-- 1. One search document per contact. The seed's search is "first name,
--    last name or e-mail contains the text, case-insensitively". In a UTF-8
--    database ILIKE lowers both sides on every call, three times per row, and
--    needs three trigram indexes ORed together. `search_document` stores
--    lower(first) || LF || lower(last) || LF || lower(email) once, so a search
--    is one byte-wise LIKE on one trigram index. The line feeds keep a match
--    inside one field: no name or e-mail can hold a control character (the
--    table's checks), so a search text without one matches the document
--    exactly where ILIKE matches a field, and a search text with one matches
--    no field, which cloudlet_search_terms turns into a pattern that matches
--    no document.
-- 2. A covering index in the functions' order, (created_at, id) INCLUDE
--    (company_id, search_document): a page of a search walks it and tests
--    each entry without visiting the table (an index-only scan), instead of
--    fetching ~40 table rows per match of a 2.5% term.
-- 3. Pages in two steps: the OFFSET runs over (created_at, id) alone (an
--    index-only scan, no table row read for the skipped ones), then only the
--    page's rows are fetched by primary key. Index-only scans need the
--    visibility map, which VACUUM (autovacuum, or `cloudlet db seed`) keeps.
--
-- Adding a stored column rewrites the table under an exclusive lock: about
-- 15 s per million contacts on a small machine, once.

ALTER TABLE contacts ADD COLUMN search_document text
  GENERATED ALWAYS AS (lower(first_name) || E'\n' || lower(last_name) || E'\n' || lower(email)) STORED;

CREATE INDEX contacts_search_document_trgm_idx ON contacts USING gin (search_document gin_trgm_ops);
DROP INDEX contacts_first_name_trgm_idx;
DROP INDEX contacts_last_name_trgm_idx;
DROP INDEX contacts_email_trgm_idx;
CREATE INDEX contacts_created_at_covering_idx ON contacts (created_at, id)
  INCLUDE (company_id, search_document);

-- What a search text matches: `document_pattern` for search_document (the
-- literal '%text%' pattern, lowered as ILIKE lowers it), and the companies
-- whose name contains the text. NULL pattern: no search (NULL or '').
CREATE FUNCTION cloudlet_search_terms(
  search_text varchar, OUT document_pattern text, OUT company_ids int[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
  company_ids := '{}';
  IF char_length(coalesce(search_text, '')) = 0 THEN
    RETURN;
  END IF;
  IF search_text ~ '[[:cntrl:]]' THEN
    -- No field holds a control character; '' matches only an empty
    -- document, and no document is empty.
    document_pattern := '';
    RETURN;
  END IF;
  document_pattern := cloudlet_contains_pattern(search_text);
  SELECT coalesce(array_agg(co.id), '{}') INTO company_ids
    FROM companies co WHERE co.name ILIKE document_pattern;
  document_pattern := lower(document_pattern);
END
$$;

-- The search and date-window predicates both functions below add to their
-- query, as fixed fragments over the same parameter numbers: $2 the
-- document pattern, $3 the matching companies, $4 and $5 the window's
-- exclusive bounds.
CREATE FUNCTION cloudlet_search_and_window_predicates(
  has_search boolean, has_lower_bound boolean, has_upper_bound boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN has_search
              THEN ' AND (c.search_document LIKE $2 OR c.company_id = ANY ($3))' ELSE '' END
      || CASE WHEN has_lower_bound THEN ' AND c.created_at > $4' ELSE '' END
      || CASE WHEN has_upper_bound THEN ' AND c.created_at < $5' ELSE '' END
$$;

-- As in 0003, with the search on search_document and pages in two steps.
CREATE OR REPLACE FUNCTION cloudlet_contacts_filter(
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
  terms       record := cloudlet_search_terms(search_text_input);
  lower_bound timestamptz := cloudlet_filter_bound(created_at_start);
  upper_bound timestamptz := cloudlet_filter_bound(created_at_finish);
  predicates  text := '';
BEGIN
  IF coalesce(contact_id_input, 0) > 0 THEN
    predicates := predicates || ' AND c.id = $1';
  END IF;
  predicates := predicates || cloudlet_search_and_window_predicates(
    terms.document_pattern IS NOT NULL, lower_bound IS NOT NULL, upper_bound IS NOT NULL);
  IF row_limit IS NULL THEN
    RETURN QUERY EXECUTE
      'SELECT c.id, c.first_name, c.last_name, c.email, c.created_at, c.company_id '
      'FROM contacts c WHERE true' || predicates || ' ORDER BY c.created_at, c.id'
      USING contact_id_input, terms.document_pattern, terms.company_ids, lower_bound, upper_bound;
  ELSE
    RETURN QUERY EXECUTE
      'SELECT r.id, r.first_name, r.last_name, r.email, r.created_at, r.company_id '
      'FROM (SELECT c.id, c.created_at FROM contacts c WHERE true' || predicates
      || ' ORDER BY c.created_at, c.id OFFSET $7 ROWS FETCH NEXT $6 ROWS ONLY) page '
      'JOIN contacts r ON r.id = page.id ORDER BY page.created_at, page.id'
      USING contact_id_input, terms.document_pattern, terms.company_ids, lower_bound, upper_bound,
            row_limit, row_offset;
  END IF;
END
$$;

-- As in 0005, with the same search and the same two steps.
CREATE OR REPLACE FUNCTION contacts_list_keyset(
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
  terms       record := cloudlet_search_terms(search_text_input);
  lower_bound timestamptz := cloudlet_filter_bound(created_after);
  upper_bound timestamptz := cloudlet_filter_bound(created_before);
  predicates  text := '';
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
    predicates := predicates || ' AND c.company_id = $1';
  END IF;
  predicates := predicates || cloudlet_search_and_window_predicates(
    terms.document_pattern IS NOT NULL, lower_bound IS NOT NULL, upper_bound IS NOT NULL);
  IF after_created_at IS NOT NULL AND after_id IS NOT NULL THEN
    -- A row comparison, which a btree on (created_at, id) answers as one range.
    predicates := predicates || ' AND (c.created_at, c.id) > ($6, $7)';
  END IF;
  RETURN QUERY EXECUTE
    'SELECT r.id, r.first_name, r.last_name, r.email, r.created_at, r.company_id '
    'FROM (SELECT c.id, c.created_at FROM contacts c WHERE true' || predicates
    || ' ORDER BY c.created_at, c.id OFFSET $8 ROWS FETCH NEXT $9 ROWS ONLY) page '
    'JOIN contacts r ON r.id = page.id ORDER BY page.created_at, page.id'
    USING company_id_input, terms.document_pattern, terms.company_ids, lower_bound, upper_bound,
          after_created_at, after_id, row_offset, row_limit;
END
$$;
