"""A dbt step hands back the parse dbt wrote in it, and only that: a step run on the
warm process's parse holds the file as it was handed in, which must not overwrite the
newer one the warm process wrote meanwhile."""

from orchestration.defs.dbt import assets


def test_only_a_parse_written_in_the_step_is_handed_back(tmp_path, monkeypatch):
    project_target = tmp_path / "target"
    project_target.mkdir()
    monkeypatch.setattr(assets, "MANIFEST_PATH", project_target / "manifest.json")
    kept = project_target / "partial_parse.msgpack"

    # the step's folder got the file as it was; the warm process then wrote a newer one
    kept.write_bytes(b"old parse")
    handed_in = assets._parse_file_digest(kept)
    step = tmp_path / "step"
    step.mkdir()
    (step / "partial_parse.msgpack").write_bytes(b"old parse")
    kept.write_bytes(b"warm process's parse")
    assets._keep_parse_and_clean_up(step, handed_in)
    assert kept.read_bytes() == b"warm process's parse"
    assert not step.exists()

    # dbt parsed in the step: its parse is handed back
    step.mkdir()
    (step / "partial_parse.msgpack").write_bytes(b"this step's parse")
    assets._keep_parse_and_clean_up(step, assets._parse_file_digest(kept))
    assert kept.read_bytes() == b"this step's parse"
    assert not step.exists()
