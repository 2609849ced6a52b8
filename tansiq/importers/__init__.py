"""Importers: read incident files (UCDP GED, ACLED) as a stream and validate every row.

    csvfile     streams records of a CSV file with the line each starts on; rejects whole
                files that are not UTF-8 CSV text with the required columns
    fields      the cell validators both sources share (dates, coordinates, counts)
    ucdp, acled one record of that source's export -> an IncidentDraft, or its RowErrors
    pipeline    read_batches (file -> batches of drafts and rejected rows) and place_batch
                (drafts -> incident rows with pcodes, via the geo locator)
    rejects     RejectsWriter: rejected rows with their reasons, beside the input file

Everything here is values in, values out; the store and the CLI decide what to write.
"""
