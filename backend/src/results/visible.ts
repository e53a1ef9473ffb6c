// Which stored results readers may see. A run is hidden while its upload is written (`complete` false,
// migration 0050), and so is a file being appended to a visible run: its results from `appending_from`
// on (migration 0115). Readers that reach results without going through their work item links (which
// are written only for visible results) add this condition, with the run joined as `run`.

/** SQL condition: result `r` of run `run` is visible. */
export const visibleResult = (r = "r", run = "run") =>
  `${run}.complete AND (${run}.appending_from IS NULL OR ${r}.seq < ${run}.appending_from)`;
