"""nbgrader's settings for a course on the class server (see jupyterhub_config.py beside it).

Every nbgrader command on the hub reads this file, the students' (``nbgrader
fetch_assignment``, ``nbgrader submit``) and the instructor's (``nbgrader
release_assignment``, ``nbgrader collect``): the hub puts its folder on
``JUPYTER_CONFIG_PATH``. Under The Littlest JupyterHub, copy it to
/etc/jupyter/nbgrader_config.py instead, where nbgrader looks anyway.

It sets what students and instructor must agree on:

* the course id (``AUTODIFF_COURSE_ID``, default the kit's, the one
  ``autodiff-kit assignments`` writes into the course folder);
* the exchange, the folder through which assignments go out and
  submissions come back (``AUTODIFF_EXCHANGE``, default
  /srv/nbgrader/exchange; it must exist and be writable by everyone:
  ``chmod 777``, as nbgrader's docs ask);
* who a submission is from: the hub's user name (``JUPYTERHUB_USER``), not
  the account the server runs as. They are the same when every student has
  an account of their own; they differ when servers share one (a container's
  ``jovyan``, a test's local processes), and then nbgrader would file every
  submission under one name. The instructor (``AUTODIFF_INSTRUCTOR``) keeps
  nbgrader's default, every student, so that ``nbgrader collect`` collects
  them all.

The instructor's course folder (``source/``, ``release/``, ``submitted/``, the
gradebook) has its own nbgrader_config.py, read from the folder the instructor
runs nbgrader in.
"""

import os

from autodiff_kit.assignments import COURSE_ID

c = get_config()  # noqa: F821  (nbgrader defines get_config while it loads this file)

c.CourseDirectory.course_id = os.environ.get("AUTODIFF_COURSE_ID", COURSE_ID)
c.Exchange.root = os.environ.get("AUTODIFF_EXCHANGE", "/srv/nbgrader/exchange")

hub_user = os.environ.get("JUPYTERHUB_USER")
if hub_user and hub_user != os.environ.get("AUTODIFF_INSTRUCTOR", "instructor"):
    c.CourseDirectory.student_id = hub_user
