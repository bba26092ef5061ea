/* A minimal HTTP responder standing in for the camera's web server in the demo image. It is
 * compiled without hardening on purpose, as much real firmware is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char buf[256];
  const char *root = argc > 2 ? argv[2] : "/www";
  strcpy(buf, root);
  strcat(buf, "/index.html");
  FILE *f = fopen(buf, "r");
  if (!f) return 1;
  printf("HTTP/1.0 200 OK\r\nServer: democam-httpd/1.2\r\n\r\n");
  while (fgets(buf, sizeof buf, f)) fputs(buf, stdout);
  fclose(f);
  if (getenv("DEBUG_SHELL")) system(getenv("DEBUG_SHELL"));
  return 0;
}
