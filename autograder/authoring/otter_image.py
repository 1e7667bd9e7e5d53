"""The scripts of an otter-grader autograder zip, as otter-grader 7.0.0's `otter generate` writes them.

`otter grade` builds its Docker image from them and Gradescope its autograder image: setup.sh installs
Miniforge and the conda environment of environment.yml (otter itself, pinned, and the pip requirements given),
run_autograder activates it and runs run_otter.py, which runs otter's grading of /autograder/submission.
`otter run` needs none of them (it grades in the environment it runs in). Written here rather than by calling
otter, so that building an assignment needs no otter installed; tests/test_otter_mode.py compares them with what
the real `otter generate` writes, so a change in otter shows up there.
"""
from __future__ import annotations

OTTER_VERSION = "7.0.0"
PYTHON_VERSION = "3.13"  # otter generate's default

RUN_AUTOGRADER = """#!/bin/bash
export PATH=/root/miniforge3/bin:$PATH:/root/.TinyTeX/bin/x86_64-linux
eval "$(mamba shell hook --shell bash)"
mamba activate otter-env
python /autograder/source/run_otter.py
"""

RUN_OTTER = '''"""Runs Otter-Grader's autograding process"""

try:
    from otter.run.run_autograder import main as run_autograder
except ModuleNotFoundError as e:
    if "'otter'" in str(e):
        raise RuntimeError(
            "The 'otter' module could not be imported. This is usually caused by errors while building the "
            "grading image, so check the image build logs and include them when requesting "
            "support."
        )
    raise e


if __name__ == "__main__":
    run_autograder("/autograder")
'''

SETUP = """#!/usr/bin/env bash

set -e

export DEBIAN_FRONTEND=noninteractive
apt-get clean
apt-get update
apt-get install -y wget jq build-essential libcurl4-gnutls-dev libxml2-dev libssl-dev libgit2-dev

# install PDF generation dependencies if enabled
if cat /autograder/source/otter_config.json | jq -e '[.pdf, .token] | any'; then
    # install latex
    apt-get install -y texlive-xetex texlive-fonts-recommended texlive-plain-generic texlive-lang-chinese

    # install pandoc
    wget -nv https://github.com/jgm/pandoc/releases/download/3.1.11.1/pandoc-3.1.11.1-1-amd64.deb \\
        -O /tmp/pandoc.deb
    dpkg -i /tmp/pandoc.deb
fi

# install mamba
if [ $(uname -p) = "arm" ] || [ $(uname -p) = "aarch64" ] ; \\
    then wget -nv https://github.com/conda-forge/miniforge/releases/download/25.3.1-0/Miniforge3-Linux-aarch64.sh \\
        -O /autograder/source/mamba_install.sh ; \\
    else wget -nv https://github.com/conda-forge/miniforge/releases/download/25.3.1-0/Miniforge3-Linux-x86_64.sh \\
        -O /autograder/source/mamba_install.sh ; \\
fi
chmod +x /autograder/source/mamba_install.sh
/autograder/source/mamba_install.sh -b
echo "export PATH=/root/miniforge3/bin:\\$PATH" >> /root/.bashrc

export PATH=/root/miniforge3/bin:$PATH
export TAR="/bin/tar"

# install dependencies with mamba
mamba env create -f /autograder/source/environment.yml
mamba install -n otter-env -c conda-forge nb_conda_kernels
mamba run -n otter-env bash -c "playwright install-deps && playwright install chromium"

# set mamba shell
mamba shell init --shell bash
"""


def environment(requirements: list[str]) -> str:
    """environment.yml: otter's conda environment, with `requirements` among its pip packages."""
    pip = [f"otter-grader[grading,plugins]=={OTTER_VERSION}", *requirements]
    lines = ["name: otter-env", "channels:", "  - conda-forge", "dependencies:", f"  - python={PYTHON_VERSION}",
             "  - pip", "  - jupyter_server", "  - pip:"]
    return "\n".join(lines + [f"      - {requirement}" for requirement in pip]) + "\n"
