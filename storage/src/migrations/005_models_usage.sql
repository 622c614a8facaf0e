-- Models and usage.
--
-- A session whose provider/model the user chose (PATCH /sessions/{id}):
-- its turns use them when the turn names none. 0: the columns only say
-- what the latest turn used, and a turn resolves the provider and its
-- default model as usual.
ALTER TABLE sessions ADD COLUMN model_chosen INTEGER NOT NULL DEFAULT 0 CHECK (model_chosen IN (0, 1));

-- What each turn used, for its answer's metadata: NULL until the turn ends
-- (and for turns from before this migration); cost only when the provider
-- reported one (OpenRouter's usage.cost, US dollars).
ALTER TABLE turns ADD COLUMN input_tokens INTEGER;
ALTER TABLE turns ADD COLUMN output_tokens INTEGER;
ALTER TABLE turns ADD COLUMN cost REAL;
