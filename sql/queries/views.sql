-- name: views
-- The public views (and the manifest table): name, meaning and columns.
--
-- Public means in the main schema of the catalog and not named with a leading '_' (internal
-- objects). A view's meaning is the header comment of sql/views/<view>.sql.
--
-- Returns: view, meaning, columns ("name TYPE, ..." in column order); one row per view,
-- ordered by view. Key: view.
-- Parameters:
--   $names     view names that have a meaning (VARCHAR[])
--   $meanings  their meanings, in the same order (VARCHAR[])
WITH meaning AS (
    SELECT unnest($names) AS view, unnest($meanings) AS meaning
)
SELECT c.table_name AS view, any_value(m.meaning) AS meaning,
       string_agg(c.column_name || ' ' || c.data_type, ', ' ORDER BY c.ordinal_position)
           AS columns
FROM information_schema.columns AS c
LEFT JOIN meaning AS m ON m.view = c.table_name
WHERE c.table_catalog = current_database() AND c.table_schema = 'main'
  AND NOT starts_with(c.table_name, '_')
GROUP BY c.table_name
ORDER BY view

-- name: view_columns
-- The columns of one public view, in order, with their DuckDB types.
-- Returns: view, column, type; one row per column. Empty when the view is not public.
-- Parameters:
--   $view  the view name (any case)
SELECT table_name AS view, column_name AS "column", data_type AS type
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema = 'main'
  AND NOT starts_with(table_name, '_') AND lower(table_name) = lower($view)
ORDER BY ordinal_position
