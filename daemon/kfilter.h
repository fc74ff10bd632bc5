/* General { Filter } applied by the kernel process (kfilter.c). */
#ifndef CTSYNCD_KFILTER_H
#define CTSYNCD_KFILTER_H

struct ctsyncd_conf;
struct ct_entry;
struct exp_entry;

void	kfilter_init(const struct ctsyncd_conf *);
int	kfilter_ct_pass(const struct ct_entry *);
int	kfilter_exp_pass(const struct exp_entry *);
int	kfilter_configured(void);
int	kfilter_attach(int);

#endif
