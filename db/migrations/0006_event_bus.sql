-- The event bus (src/events/README.md, "Store"): its configuration (buses,
-- rules, targets), the durable inbox of accepted events, the deliveries still
-- owed to targets, the dead letters, and the schedule fires already made.
-- Every events process shares these tables; the guarantees across processes
-- (route once, deliver at least once, fire a schedule once per instant) come
-- from row locks and primary keys here, not from anything in memory.
--
-- Times that the store compares (next_attempt_at, lease_until) are written by
-- the caller's clock, so tests can control them; created_at, modified_at,
-- fired_at are the server's, for information only.

-- Event buses by name. The default bus always exists (AWS has it in every
-- account and it cannot be deleted).
CREATE TABLE event_buses (
  name        text PRIMARY KEY CHECK (octet_length(name) BETWEEN 1 AND 256),
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  modified_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO event_buses (name) VALUES ('default');

-- Rules, unique by name within their bus. A bus with rules cannot be deleted
-- (RESTRICT): AWS asks for the rules to be deleted first. The pattern and the
-- schedule are stored as the client wrote them (DescribeRule echoes them); the
-- events processes compile them when they load the configuration.
CREATE TABLE event_rules (
  bus                 text NOT NULL REFERENCES event_buses (name) ON DELETE RESTRICT,
  name                text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 64),
  event_pattern       text,
  schedule_expression text,
  state               text NOT NULL DEFAULT 'ENABLED'
                      CHECK (state IN ('ENABLED', 'DISABLED',
                                       'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS')),
  description         text NOT NULL DEFAULT '',
  role_arn            text NOT NULL DEFAULT '',
  managed_by          text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL DEFAULT now(),
  modified_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bus, name)
);

-- Targets of a rule. `spec` is the whole target object as PutTargets gave it,
-- so ListTargetsByRule can echo every member without this schema knowing
-- them; `arn` is copied out because delivery looks it up. `position` keeps
-- insertion order (ListTargetsByRule's order): a replaced target keeps its
-- first position. A rule with targets cannot be deleted (AWS refuses too).
CREATE TABLE event_targets (
  bus      text NOT NULL,
  rule     text NOT NULL,
  id       text NOT NULL CHECK (octet_length(id) BETWEEN 1 AND 64),
  position bigint GENERATED ALWAYS AS IDENTITY,
  arn      text NOT NULL,
  spec     jsonb NOT NULL,
  PRIMARY KEY (bus, rule, id),
  FOREIGN KEY (bus, rule) REFERENCES event_rules (bus, name) ON DELETE RESTRICT
);
CREATE INDEX event_targets_order_idx ON event_targets (bus, rule, position);

-- One row whose version is bumped in the same transaction as every change to
-- rules or targets: each events process polls this cheap row and reloads its
-- matcher only when the number moved.
CREATE TABLE event_bus_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version   bigint NOT NULL
);
INSERT INTO event_bus_version (version) VALUES (1);

-- The durable inbox: an accepted PutEvents entry is a row here before the API
-- answers. Routing (matching against rules) happens later, in a transaction
-- that deletes the rows it routed, so a crash never loses an event and two
-- routers never route one twice (FOR UPDATE SKIP LOCKED). No foreign key to
-- the bus: an event for a bus deleted in the meantime is simply dropped.
CREATE TABLE pending_events (
  seq         bigserial PRIMARY KEY,
  bus         text NOT NULL,
  event_id    text NOT NULL,
  envelope    text NOT NULL,
  ingested_at timestamptz NOT NULL,
  -- A schedule's event goes to its own rule only, never through the
  -- patterns (a rule matching source aws.events must not see it).
  only_rule   text NULL
);

-- Deliveries still owed: one per (event, matching target), with the target
-- input already rendered and the target's retry policy copied in, so a later
-- change to the target does not change what an event already routed gets
-- (and delivery needs no join). A worker leases a row (lease_owner,
-- lease_until) and the lease also moves next_attempt_at to lease_until: a
-- leased row is simply not due until its lease expires, so one index serves
-- "due and not leased" and a crashed worker's deliveries come back by
-- themselves.
CREATE TABLE event_deliveries (
  id                 bigserial PRIMARY KEY,
  event_id           text NOT NULL,
  bus                text NOT NULL,
  rule               text NOT NULL,
  target_id          text NOT NULL,
  target_arn         text NOT NULL,
  payload            text NOT NULL,
  max_retry_attempts int NOT NULL CHECK (max_retry_attempts >= 0),
  max_event_age_s    int NOT NULL CHECK (max_event_age_s >= 0),
  dead_letter_arn    text,
  attempts           int NOT NULL DEFAULT 0,
  ingested_at        timestamptz NOT NULL,
  next_attempt_at    timestamptz NOT NULL,
  lease_owner        text,
  lease_until        timestamptz,
  last_error         text,
  last_error_code    text
);
CREATE INDEX event_deliveries_due_idx ON event_deliveries (next_attempt_at, id);

-- Deliveries given up on, with the attributes AWS attaches to a dead-letter
-- message (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
-- EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS). dead_letter_arn is the queue
-- the target named (NULL: none, kept for inspection only).
CREATE TABLE event_dead_letters (
  id                        bigserial PRIMARY KEY,
  event_id                  text NOT NULL,
  bus                       text NOT NULL,
  rule                      text NOT NULL,
  target_id                 text NOT NULL,
  target_arn                text NOT NULL,
  payload                   text NOT NULL,
  dead_letter_arn           text,
  rule_arn                  text NOT NULL,
  error_code                text NOT NULL,
  error_message             text NOT NULL,
  exhausted_retry_condition text,
  retry_attempts            int NOT NULL,
  ingested_at               timestamptz NOT NULL,
  dead_at                   timestamptz NOT NULL
);
CREATE INDEX event_dead_letters_bus_idx ON event_dead_letters (bus, id);

-- Schedule fires already made: a process fires (bus, rule, instant) only when
-- its INSERT ... ON CONFLICT DO NOTHING inserted the row, so several events
-- processes fire each instant once. Deleting the rule forgets its fires
-- (CASCADE): a rule created again under the same name starts afresh.
CREATE TABLE event_schedule_fires (
  bus      text NOT NULL,
  rule     text NOT NULL,
  instant  timestamptz NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bus, rule, instant),
  FOREIGN KEY (bus, rule) REFERENCES event_rules (bus, name) ON DELETE CASCADE
);
