"""Tests of the Cursor-on-Target gateway (tansiq.cot, `tansiq cot`)."""
