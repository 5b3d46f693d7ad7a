-- Users of the gRPC UserManagement service's postgres store. Ids come from
-- the identity, so they are unique even with many writers (the seed's
-- rand.Intn(100) collided).
CREATE TABLE users (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 256),
  age        integer NOT NULL CHECK (age BETWEEN 0 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Exact and prefix filtering of GetUsers.
CREATE INDEX users_name_idx ON users (name text_pattern_ops, id);
