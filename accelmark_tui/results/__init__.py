"""Results: run identity, folder layout, upstream-shaped documents, validation, listing and views.

``identity`` (run_id / run_name / re-stamp), ``profile`` (submitter),
``layout`` + ``state`` (run folders, atomic writes, resume state),
``assemble`` (result.json documents), ``partial`` (a scenario a stop ended part-way),
``figures`` (the submitted figures' digest),
``validate`` (schema + folder checks),
``store`` (list / find / load runs), ``render`` / ``export`` (text, CSV, Markdown).
Never imports Textual.
"""
