/*
 * What both C harnesses share: the type registry that the stubbed
 * type_init() fills, building a machine class the way QOM does (each
 * parent's class_init first), and the printers whose output the tests
 * compare with the JSON backend (strings as hex, so any byte survives).
 */
#ifndef MTC_HARNESS_COMMON_H
#define MTC_HARNESS_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define MAX_TYPES 1024

static const TypeInfo *types[MAX_TYPES];
static size_t ntypes;

void type_register_static(const TypeInfo *info)
{
    if (ntypes == MAX_TYPES) {
        fprintf(stderr, "too many types\n");
        exit(2);
    }
    types[ntypes++] = info;
}

static const TypeInfo *find_type(const char *name)
{
    for (size_t i = 0; i < ntypes; i++) {
        if (strcmp(types[i]->name, name) == 0) {
            return types[i];
        }
    }
    return NULL;
}

/* Run the class_init of `info`'s registered ancestors, then its own. */
static void class_init_chain(ObjectClass *oc, const TypeInfo *info)
{
    const TypeInfo *parent = info->parent ? find_type(info->parent) : NULL;

    if (parent) {
        class_init_chain(oc, parent);
    }
    if (info->class_init) {
        info->class_init(oc, NULL);
    }
}

/* A machine type: not abstract, named <something>-machine. */
static bool is_machine_type(const TypeInfo *info)
{
    size_t suffix = strlen(TYPE_MACHINE_SUFFIX);
    size_t len = strlen(info->name);

    return !info->abstract && len > suffix &&
           strcmp(info->name + len - suffix, TYPE_MACHINE_SUFFIX) == 0;
}

/* What a binary with the ISA floppy controller and parallel port has. */
ObjectClass *module_object_class_by_name(const char *typename)
{
    static ObjectClass present;

    if (strcmp(typename, "isa-fdc") == 0 || strcmp(typename, "isa-parallel") == 0) {
        return &present;
    }
    return NULL;
}

static void print_string(const char *s)
{
    if (!s) {
        fputs("-", stdout);
        return;
    }
    putchar('x');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        printf("%02x", *p);
    }
}

static void opt_bool(const char *name, bool value)
{
    printf("option %s bool %d\n", name, value ? 1 : 0);
}

static void opt_int(const char *name, long long value)
{
    printf("option %s int %lld\n", name, value);
}

static void opt_string(const char *name, const char *value)
{
    printf("option %s string ", name);
    print_string(value);
    putchar('\n');
}

/* The machine's compat list in application order, one "prop" line each. */
static void print_compat_props(const MachineClass *mc)
{
    for (unsigned int j = 0; j < mc->compat_props->len; j++) {
        const GlobalProperty *p = mc->compat_props->pdata[j];
        fputs("prop ", stdout);
        print_string(p->driver);
        putchar(' ');
        print_string(p->property);
        putchar(' ');
        print_string(p->value);
        printf(" %d\n", p->optional ? 1 : 0);
    }
}

#endif
