-- Compression where the server has codecs ({{codec_text}}: ZSTD(3) for long free text;
-- {{codec_time}}: Delta then ZSTD for timestamps that rise within a part; key columns such as
-- decided_at keep the default, as 18.16 may not ALTER them). On a server without codecs
-- both render empty and each statement re-states the column's type, which changes nothing.
-- MODIFY COLUMN is idempotent, so this file re-applies as a no-op.
ALTER TABLE {{database}}.decisions MODIFY COLUMN arguments_json String {{codec_text}};
ALTER TABLE {{database}}.decisions MODIFY COLUMN session_task String {{codec_text}};
ALTER TABLE {{database}}.decisions MODIFY COLUMN intent String {{codec_text}};
ALTER TABLE {{database}}.decisions MODIFY COLUMN reason_messages Array(String) {{codec_text}};
ALTER TABLE {{database}}.decisions MODIFY COLUMN ingested_at {{timestamp_ms}} {{codec_time}};
