"""Pure domain rules: values in, values out, or a typed error. No I/O, web or SQL here."""
