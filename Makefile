# The two commands: `make demo` (the main job) and `make test` (the test suite).
# Both bootstrap .venv with the machine's python3 and start/stop the services they need.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

# The toolkit (this folder, with every extra) and the example service (example/, pinned).
$(STAMP): pyproject.toml example/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[all]" -e "./example[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/zdt rehearse

test: $(STAMP)
	# headless Chromium opens the rehearsal report and GraphiQL in the tests
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/zdt check
	# two workers, each with its own PostgreSQL and Redis; a module's tests stay on one worker
	$(VENV)/bin/pytest -n 2 --dist loadscope

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	-$(VENV)/bin/zdt down
	rm -rf $(VENV) .zdt
