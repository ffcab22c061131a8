-- egenes: convenience view, the eGenes of each tissue (top_assoc rows with qval < 0.05).
SELECT * FROM top_assoc WHERE qval < 0.05
