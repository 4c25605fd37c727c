
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_contact_owner'),
    ]

    operations = [
        migrations.CreateModel(
            name='Asset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('serial', models.CharField(max_length=100, verbose_name='serial number')),
                ('model', models.CharField(blank=True, max_length=200, verbose_name='model')),
                ('device_class', models.CharField(choices=[('laptop', 'Laptop'), ('desktop', 'Desktop'), ('printer', 'Printer'), ('phone', 'Phone'), ('tablet', 'Tablet'), ('server', 'Server'), ('network', 'Network device'), ('other', 'Other')], max_length=20, verbose_name='class')),
                ('location', models.CharField(blank=True, max_length=300, verbose_name='location')),
                ('under_contract', models.BooleanField(default=True, verbose_name='under contract')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assets', to='accounts.organization', verbose_name='organization')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assets', to='accounts.contact', verbose_name='used by')),
            ],
            options={
                'verbose_name': 'device',
                'verbose_name_plural': 'devices',
                'ordering': ['organization', 'serial'],
                'constraints': [models.UniqueConstraint(fields=('organization', 'serial'), name='serial_once_per_org')],
            },
        ),
    ]
